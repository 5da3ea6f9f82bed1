"""Caps are visible and continued (issue 17): what BRWATCH_MAX_SITEMAP_URLS,
BRWATCH_MAX_CHILD_SITEMAPS and BRWATCH_MAX_LISTING_PAGES cut is reported in the crawl summary,
in `brwatch runs` and as a monitoring flag, and the next run fetches it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brwatch.schedule import SchedulerSettings, current_flags
from brwatch.schedule.monitor import evaluate_source
from brwatch.storage import Database
from tests.sites import Page, Site
from tests.test_crawl_e2e import XML, article, articles, crawl, runs, write_sources

CAPS = [
    "--set", "BRWATCH_MAX_SITEMAP_URLS=5",
    "--set", "BRWATCH_MAX_CHILD_SITEMAPS=1",
    "--set", "BRWATCH_MAX_LISTING_PAGES=2",
]  # fmt: skip


def urlset(site: Site, paths: list[str], lastmod: str | None = None) -> Page:
    stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    urls = "".join(f"<url><loc>{site.url(path)}</loc>{stamp}</url>" for path in paths)
    return Page(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                headers=XML)  # fmt: skip


def capped_sites(serve_site: Callable[..., Site]) -> tuple[Site, Site, Site]:
    """A sitemap of 8 articles; an index of 3 one-article sitemaps; a 6-page listing chain."""
    big = serve_site("127.0.0.31", {})
    big.pages["/sitemap.xml"] = urlset(big, [f"/a/{n}" for n in range(8)])
    index = serve_site("127.0.0.32", {})
    children = "".join(
        f"<sitemap><loc>{index.url(f'/s/{n}.xml')}</loc><lastmod>2026-11-0{n + 1}</lastmod>"
        "</sitemap>"
        for n in range(3)
    )
    index.pages["/index.xml"] = Page(
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}'
        "</sitemapindex>",
        headers=XML,
    )
    listing = serve_site("127.0.0.33", {})
    for n in range(1, 7):
        following = f"<a href='/list?page={n + 1}'>Next</a>" if n < 6 else ""
        listing.pages[f"/list?page={n}"] = Page(
            f"<html><body><a href='/art/{n}.html'>story {n}</a> {following}</body></html>"
        )
    for site, prefix, count in ((big, "/a/", 8), (index, "/i/", 3), (listing, "/art/", 6)):
        for n in range(count):
            path = f"{prefix}{n + (prefix == '/art/')}" + (".html" if prefix == "/art/" else "")
            site.pages[path] = Page(article(f"Story {path}"))
    for n in range(3):
        index.pages[f"/s/{n}.xml"] = urlset(index, [f"/i/{n}"])
    return big, index, listing


def test_what_a_cap_cuts_is_reported_flagged_and_fetched_by_the_next_run(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], db_url: str, tmp_path: Path
) -> None:
    big, index, listing = capped_sites(serve_site)
    sources = write_sources(
        tmp_path,
        {"name": "big", "sitemaps": [big.url("/sitemap.xml")], "allow": ["/a/"]},
        {"name": "index", "sitemaps": [index.url("/index.xml")], "allow": ["/i/"]},
        {"name": "listing", "start_urls": [listing.url("/list?page=1")],
         "allow": [r"/art/\d+\.html$"]},
    )  # fmt: skip

    first = crawl(brwatch, sources, db_url, *CAPS)

    # Run 1: the caps cut, and say so.
    assert len([p for p in big.paths_requested() if p.startswith("/a/")]) == 5
    assert sorted(p for p in index.paths_requested() if p.startswith("/s/")) == [
        "/s/1.xml", "/s/2.xml"  # the newest child, and one of the others
    ]  # fmt: skip
    assert "/list?page=4" not in listing.paths_requested()
    recorded = runs(db_url)
    assert recorded["big"].stats["capped_urls"] == 3
    assert recorded["index"].stats["capped_sitemaps"] == 1
    assert recorded["listing"].stats["listing_capped"] == 1
    summary = " ".join(first.stdout.split())
    assert "left out" in summary
    assert "big: caps left out 3 sitemap URLs (BRWATCH_MAX_SITEMAP_URLS)" in summary
    assert "index: caps left out 1 child sitemaps (BRWATCH_MAX_CHILD_SITEMAPS)" in summary
    assert "listing: caps left out 1 listing pages (BRWATCH_MAX_LISTING_PAGES)" in summary
    listed = brwatch("runs", "--json", db=db_url)
    by_source = {line["source"]: line for line in map(json.loads, listed.stdout.splitlines())}
    assert by_source["big"]["left_out"] == {"capped_urls": 3}
    assert by_source["index"]["left_out"] == {"capped_sitemaps": 1}
    table = brwatch("runs", "--source", "big", db=db_url, env={"COLUMNS": "200"})
    header, row = [line for line in table.stdout.splitlines() if "│" in line or "┃" in line]
    cells = dict(zip(_cells(header), _cells(row), strict=True))
    assert cells["left out"] == "3" and cells["changed"] == "0"
    db = Database(db_url)
    try:
        settings = SchedulerSettings()
        for name in ("big", "index", "listing"):
            evaluate_source(db, name, settings)
        flags = {flag.source: flag for flag in current_flags(db) if flag.kind == "capped"}
        assert set(flags) == {"big", "index", "listing"}
        assert "3 sitemap URLs" in flags["big"].detail

        fetched_first = {p for p in big.paths_requested() if p.startswith("/a/")}
        big.requests.clear()
        index.requests.clear()
        listing.requests.clear()
        crawl(brwatch, sources, db_url, *CAPS)

        # Run 2: what was left out is fetched, nothing twice, and nothing is left out now.
        fetched_second = [p for p in big.paths_requested() if p.startswith("/a/")]
        assert sorted(fetched_second) == sorted({f"/a/{n}" for n in range(8)} - fetched_first)
        assert Counter(p for p in index.paths_requested() if p.startswith("/s/")) == {
            "/s/2.xml": 1, "/s/0.xml": 1
        }  # fmt: skip
        assert {"/list?page=4", "/list?page=5", "/list?page=6"} <= set(listing.paths_requested())
        stored = set(articles(db_url))
        assert {big.url(f"/a/{n}") for n in range(8)} <= stored
        assert {index.url(f"/i/{n}") for n in range(3)} <= stored
        assert {listing.url(f"/art/{n}.html") for n in range(1, 7)} <= stored
        second = runs(db_url)
        for name in ("big", "index", "listing"):
            assert second[name].id != recorded[name].id
            assert not any(
                second[name].stats.get(key)
                for key in ("capped_urls", "capped_sitemaps", "listing_capped")
            ), second[name].stats
            evaluate_source(db, name, settings)
        assert not [flag for flag in current_flags(db) if flag.kind == "capped"]
    finally:
        db.dispose()


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.replace("┃", "│").strip("│ ").split("│")]
