"""Re-crawls cost what a fetch costs (issue 17): the worker pool starts only when a page needs
processing, so a re-crawl whose pages answer 304, are byte for byte unchanged or are skipped
starts no fork server and no worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.sites import Page, Site
from tests.test_crawl_e2e import FAST, article, rss, runs, write_sources

STARTING = "a page needs processing: starting"


def test_workers_start_only_for_a_page_that_needs_processing(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], db_url: str, tmp_path: Path
) -> None:
    site = serve_site("127.0.0.35", {})
    site.pages["/feed.xml"] = rss(site, ["/a/0", "/a/1", "/plain", "/gone"])
    for n in range(2):
        site.pages[f"/a/{n}"] = Page(article(f"Tagged story {n}"), etag=f'"t{n}"')
    site.pages["/plain"] = Page(article("Story without validators"))  # fetched again: same bytes
    sources = write_sources(tmp_path, {"name": "lazy", "feeds": [site.url("/feed.xml")]})

    def crawl() -> str:
        result = brwatch(
            "-v", "--sources", str(sources), "crawl", *FAST,
            "--set", "BRWATCH_REFETCH_AFTER=*=0s", db=db_url, env={"COLUMNS": "250"},
        )  # fmt: skip
        assert result.returncode == 0, result
        return result.stderr

    first = crawl()
    assert STARTING in first  # new pages: processed by the workers
    site.requests.clear()

    second = crawl()

    assert sorted(site.paths_requested()) == ["/a/0", "/a/1", "/feed.xml", "/plain", "/robots.txt"]
    stats = runs(db_url)["lazy"].stats
    assert stats["not_modified"] == 2 and stats["unchanged"] == 1 and stats["skipped_seen"] == 1
    assert STARTING not in second  # nothing needed processing: no worker, no fork server
