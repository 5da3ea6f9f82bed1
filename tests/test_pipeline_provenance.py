"""Storing links reprints to their originals, and export carries the original's rights."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from brwatch.document import FetchedPage
from brwatch.pipeline import process_page, store, store_batch
from brwatch.provenance import links, reset_shared_indexes
from brwatch.storage import Database
from brwatch.storage.models import Article, Fingerprint

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
    copy = process_page(page("http://127.0.0.3/b/9.html", "portal", "", first + timedelta(days=1)))
    copy.rights = verdict("attribution_required")
    for processed in (original, copy):
        processed.relevant = True
    store_batch(db, [original])
    store_batch(db, [copy])

    with db.session() as session:
        by_url = {a.url: a for a in session.scalars(select(Article))}
    assert (
        by_url["http://127.0.0.3/b/9.html"].reprint_of_id == by_url["http://127.0.0.2/a/1.html"].id
    )
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


def test_copies_in_one_batch_are_linked_from_the_fingerprints_the_workers_computed(
    db: Database,
) -> None:
    reset_shared_indexes()
    first = datetime(2026, 11, 1, tzinfo=UTC)
    pages = [
        process_page(page(f"http://127.0.0.{n}/a/{n}.html", f"site{n}", "", first + timedelta(n)))
        for n in (2, 3, 4)
    ]
    # The signature travels with the processed page: the storing process only looks it up.
    assert all(p.fingerprint is not None and len(p.fingerprint) == 128 * 4 for p in pages)
    assert len({p.fingerprint for p in pages}) == 1
    store_batch(db, pages)
    with db.session() as session:
        links = {a.url: a.reprint_of_id for a in session.scalars(select(Article))}
        ids = {a.url: a.id for a in session.scalars(select(Article))}
    earliest = ids["http://127.0.0.2/a/2.html"]
    assert links == {
        "http://127.0.0.2/a/2.html": None,
        "http://127.0.0.3/a/3.html": earliest,
        "http://127.0.0.4/a/4.html": earliest,
    }


def test_storing_and_linking_never_import_datasketch(tmp_path: Any) -> None:
    """The storing process (the crawl's reactor process) stays free of datasketch and scipy."""
    script = f"""
import sys
from datetime import UTC, datetime, timedelta
from brwatch.pipeline.process import ProcessedPage
from brwatch.pipeline import store_batch
from brwatch.storage import open_database
import numpy as np
db = open_database("sqlite:///{tmp_path / "b.db"}")
when = datetime(2026, 11, 1, tzinfo=UTC)
sig = np.arange(128, dtype="<u4").tobytes()
pages = [ProcessedPage(url=f"http://127.0.0.{{n}}/a.html", url_key=f"http://127.0.0.{{n}}/a.html",
    source=f"s{{n}}", status=200, fetched_at=when + timedelta(n), headers={{}}, sha256=str(n),
    html_gz=b"", canonical_url=f"http://127.0.0.{{n}}/a.html",
    article={{"title": "t", "text": "x"}}, fingerprint=sig) for n in (2, 3)]
print(sorted(store_batch(db, pages).items()))
print("datasketch" in sys.modules, "scipy" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[('new', 2)]", "False False"], done.stdout


def _copies(first: datetime) -> list[Any]:
    return [
        process_page(page(f"http://127.0.0.{n}/a/{n}.html", f"site{n}", "", first + timedelta(n)))
        for n in (2, 3)
    ]


def _fail_first(times: int, monkeypatch: Any) -> list[int]:
    """link_batch raises a database error (as a deadlock between two crawler hosts does) on
    its first ``times`` calls, then links for real; returns the list of calls."""
    calls: list[int] = []
    real = links.link_batch

    def flaky(db: Database, fingerprints: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(fingerprints))
        if len(calls) <= times:
            raise OperationalError("UPDATE articles", {}, Exception("deadlock detected"))
        return real(db, fingerprints, *args, **kwargs)

    monkeypatch.setattr(links, "link_batch", flaky)
    monkeypatch.setattr(store, "LINK_RETRY_SECONDS", 0.01)
    return calls


def test_a_batch_whose_linking_hits_a_deadlock_is_linked_on_a_retry(
    db: Database, monkeypatch: Any
) -> None:
    reset_shared_indexes()
    calls = _fail_first(2, monkeypatch)
    store_batch(db, _copies(datetime(2026, 11, 1, tzinfo=UTC)))
    assert calls == [2, 2, 2]
    with db.session() as session:
        by_url = {a.url: a for a in session.scalars(select(Article))}
        fingerprints = session.scalar(select(func.count()).select_from(Fingerprint))
    assert (
        by_url["http://127.0.0.3/a/3.html"].reprint_of_id == by_url["http://127.0.0.2/a/2.html"].id
    )
    assert fingerprints == 2


def test_a_batch_that_cannot_be_linked_stays_stored_and_is_named(
    db: Database, monkeypatch: Any, caplog: Any
) -> None:
    reset_shared_indexes()
    calls = _fail_first(store.LINK_ATTEMPTS, monkeypatch)
    outcomes = store_batch(db, _copies(datetime(2026, 11, 1, tzinfo=UTC)))
    assert outcomes == {"new": 2} and len(calls) == store.LINK_ATTEMPTS
    with db.session() as session:
        stored = list(session.scalars(select(Article)))
    assert len(stored) == 2 and all(a.reprint_of_id is None for a in stored)
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "cannot link reprints of articles" in error.getMessage()
    assert all(str(a.id) in error.getMessage() for a in stored)
    assert "deadlock detected" in error.getMessage()
