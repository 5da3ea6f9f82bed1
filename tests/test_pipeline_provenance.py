"""Storing links reprints to their originals, and export carries the original's rights."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from brwatch.document import FetchedPage
from brwatch.pipeline import process_page, store_batch
from brwatch.provenance import reset_shared_indexes
from brwatch.storage import Database
from brwatch.storage.models import Article

STORY = (
    "The China-Europe freight train service linking Chongqing and Duisburg carried a record "
    "number of containers this year, operators said on Monday, as new routes through "
    "Kazakhstan and Poland shortened journey times and brought more exporters onto the "
    "Belt and Road corridor. Officials expect volumes to keep rising next year as customs "
    "procedures are simplified and more terminals open along the line, while logistics firms "
    "add weekly services for electronics, car parts and farm produce in both directions."
)


def page(url: str, source: str, tail: str, fetched: datetime) -> FetchedPage:
    html = (
        f"<html><head><title>Freight trains set a record</title></head><body><article>"
        f"<h1>Freight trains set a record</h1><p>{STORY}</p></article>"
        f"<footer><p>{tail}</p></footer></body></html>"
    )
    return FetchedPage(url, html.encode(), 200, {}, fetched, source)


def verdict(status: str) -> dict[str, Any]:
    return {"status": status, "license": None, "requires_link": False, "credit": None,
            "origin": None, "obligations": [], "conflict": False, "evidence": [],
            "ruleset": "test"}  # fmt: skip


def test_a_stored_copy_is_linked_and_exported_with_the_originals_rights(
    db: Database, brwatch: Any
) -> None:
    reset_shared_indexes()
    first = datetime(2026, 11, 1, tzinfo=UTC)
    original = process_page(page("http://127.0.0.2/a/1.html", "origin-site", "", first))
    original.rights = verdict("prohibited")
    copy = process_page(
        page("http://127.0.0.3/b/9.html", "portal", "", first + timedelta(days=1))
    )
    copy.rights = verdict("attribution_required")
    for processed in (original, copy):
        processed.relevant = True
    store_batch(db, [original])
    store_batch(db, [copy])

    with db.session() as session:
        by_url = {a.url: a for a in session.scalars(select(Article))}
    assert by_url["http://127.0.0.3/b/9.html"].reprint_of_id == by_url[
        "http://127.0.0.2/a/1.html"
    ].id
    assert by_url["http://127.0.0.2/a/1.html"].reprint_of_id is None

    result = brwatch("export", "--json", db=db.url)
    assert result.returncode == 0, result
    lines = {line["url"]: line for line in map(json.loads, result.stdout.splitlines())}
    exported_copy = lines["http://127.0.0.3/b/9.html"]
    assert exported_copy["reprint_of"] == "http://127.0.0.2/a/1.html"
    # The stricter of its own verdict and its original's.
    assert exported_copy["rights"]["status"] == "prohibited"
    assert lines["http://127.0.0.2/a/1.html"]["rights"]["status"] == "prohibited"
    # Neither credits another publisher, so no attribution link is owed.
    assert exported_copy["attribution"]["link"] == "not_required"
