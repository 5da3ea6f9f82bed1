"""`brwatch export`: JSON Lines in the DESIGN.md shape, relevant articles unless --all."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from brwatch.document import FetchedPage
from brwatch.pipeline import process_page, store_processed
from brwatch.storage import Database
from brwatch.storage.models import Article

CONTRACT_KEYS = {
    "url", "canonical_url", "source", "title", "lang", "published", "authors", "relevant",
    "topic_score", "rights", "attribution", "reprint_of", "review", "fetched_at",
    "snapshot_sha256",
}  # fmt: skip
# Additions to the contract: the page's own verdict beside the reuse verdict in "rights".
ADDED_KEYS = {"own_rights"}
FETCHED = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


def stored(db: Database, url: str, source: str, *, relevant: bool) -> None:
    html = f"<html><head><title>Title {url}</title></head><body><p>{url} text.</p></body></html>"
    processed = process_page(FetchedPage(url, html.encode(), 200, {}, FETCHED, source))
    processed.relevant = relevant
    processed.topic_score = 0.9 if relevant else 0.0
    processed.rights = {"status": "prohibited", "license": None, "requires_link": False,
                        "credit": None, "origin": "Xinhua", "obligations": [],
                        "conflict": False, "evidence": [], "ruleset": "test"}  # fmt: skip
    store_processed(db, processed)


def lines(result: Any) -> list[dict[str, Any]]:
    assert result.returncode == 0, result
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_export_lines_follow_the_contract(
    brwatch: Callable[..., Any], db: Database, db_url: str
) -> None:
    stored(db, "http://a.org/original", "a", relevant=True)
    stored(db, "http://b.org/reprint", "b", relevant=True)
    stored(db, "http://b.org/cooking", "b", relevant=False)
    with db.session() as session:
        original = session.scalars(select(Article).where(Article.source == "a")).one()
        reprint = session.scalars(
            select(Article).where(Article.url == "http://b.org/reprint")
        ).one()
        reprint.reprint_of_id = original.id
        reprint.attribution = {"origin": "Xinhua", "origin_url": "http://a.org/", "link": "missing"}

    relevant = lines(brwatch("export", "--json", db=db_url))
    assert [line["url"] for line in relevant] == ["http://a.org/original", "http://b.org/reprint"]
    for line in relevant:
        assert set(line) == CONTRACT_KEYS | ADDED_KEYS
    first, second = relevant
    assert first["rights"]["status"] == "prohibited" and first["rights"]["origin"] == "Xinhua"
    assert first["relevant"] is True and first["topic_score"] == 0.9
    assert first["review"]["state"] == "pending"
    assert first["fetched_at"] == FETCHED.isoformat()
    assert len(first["snapshot_sha256"]) == 64
    assert first["attribution"] == {"origin": "Xinhua", "origin_url": None, "link": None}
    assert second["reprint_of"] == "http://a.org/original"
    assert second["attribution"]["link"] == "missing"

    everything = lines(brwatch("export", "--all", db=db_url))
    assert len(everything) == 3 and everything[2]["relevant"] is False
    only_b = lines(brwatch("export", "--all", "--source", "b", db=db_url))
    assert {line["source"] for line in only_b} == {"b"} and len(only_b) == 2


def test_export_of_an_empty_database_prints_nothing(
    brwatch: Callable[..., Any], db_url: str
) -> None:
    assert lines(brwatch("export", "--json", db=db_url)) == []
