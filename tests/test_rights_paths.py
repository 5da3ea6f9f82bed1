"""The same page, the same rules, one verdict: the crawler's path (process_page, reading the
tree it parsed for extraction) and the recheck path (the stored snapshot, its stored hints
and article text, read by a fresh parse) agree on every corpus page (issue 18.12)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from brwatch.document import FetchedPage, parse_document
from brwatch.pipeline import process_page
from brwatch.rights import verdict_for
from tests.conftest import CORPORA

FIELDS = ("status", "license", "requires_link", "credit", "origin", "obligations", "conflict")


@pytest.mark.slow
def test_crawl_and_recheck_give_every_corpus_page_the_same_verdict() -> None:
    pages = sorted(CORPORA.rglob("*.html.gz"))
    assert len(pages) >= 1000
    differing = []
    for path in pages:
        body = gzip.decompress(path.read_bytes())
        fetched = FetchedPage(
            url=f"http://corpus.example/{path.name}",
            body=body,
            headers={"content-type": "text/html"},
            fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
            source="corpus",
            hints={"feed_rights": "© 2026 Example Wire"} if path.name < "5" else {},
        )
        crawled = process_page(fetched)
        assert crawled.error is None, (path, crawled.error)
        stored = parse_document(
            gzip.decompress(crawled.html_gz),
            crawled.url,
            headers=dict(crawled.headers),
            hints=dict(crawled.hints),
        )
        rechecked = verdict_for(stored, SimpleNamespace(text=crawled.article.get("text") or ""))
        crawl_view = {field: crawled.rights[field] for field in FIELDS}
        recheck_view = {field: rechecked.to_dict()[field] for field in FIELDS}
        if crawl_view != recheck_view:
            differing.append((str(path.relative_to(CORPORA)), crawl_view, recheck_view))
    assert differing == []
