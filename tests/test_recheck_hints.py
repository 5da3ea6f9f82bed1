"""A recheck sees what the crawl saw: the feed's rights line is kept with the snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from brwatch.document import FetchedPage
from brwatch.pipeline import process_page, store_batch
from brwatch.rights.recheck import recheck_articles
from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot

PAGE = b"<html><head><title>Port deal</title></head><body><p>A plain story.</p></body></html>"
FEED_RIGHTS = "Copyright 2026 Example Wire. Reproduction is not allowed without permission."


def test_recheck_keeps_the_feed_rights_the_crawl_saw(db: Database) -> None:
    published = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    page = FetchedPage(
        "http://127.0.0.2/news/1.html",
        PAGE,
        200,
        {"content-type": "text/html; charset=utf-8"},
        source="wire",
        hints={"feed_rights": FEED_RIGHTS, "published": published},
    )
    processed = process_page(page)
    assert processed.rights is not None and processed.rights["status"] == "prohibited"
    store_batch(db, [processed])
    with db.session() as session:
        hints = session.scalars(select(Snapshot.hints)).one()
        assert hints["feed_rights"] == FEED_RIGHTS
        assert hints["published"] == published.isoformat()
        session.execute(update(Article).values(ruleset="older-rules", rights_status="unknown"))

    summary = recheck_articles(db)

    assert summary.checked == 1 and summary.errors == []
    with db.session() as session:
        assert session.scalars(select(Article.rights_status)).one() == "prohibited"
