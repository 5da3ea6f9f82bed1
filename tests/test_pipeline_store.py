"""process_page and storing: one article per canonical URL, snapshots kept, seen URLs, runs."""

from __future__ import annotations

import gzip
import hashlib
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from brwatch.document import FetchedPage
from brwatch.pipeline import Visit, process_page, remember_visits, store_batch, store_processed
from brwatch.storage import Database
from brwatch.storage.articles import finish_run, load_seen, start_run
from brwatch.storage.models import Article, CrawlRun, SeenUrl, Snapshot

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def page(
    url: str, body: str, *, canonical: str | None = None, etag: str | None = None, at: datetime = T0
) -> FetchedPage:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    html = (
        f"<html><head><title>{body}</title>{link}</head><body><article><h1>{body}</h1>"
        f"<p>{body}: the Belt and Road Initiative links ports and railways. "
        * 5
        + "</p></article></body></html>"
    )
    headers = {"content-type": "text/html; charset=utf-8"}
    if etag:
        headers["etag"] = etag
    return FetchedPage(url, html.encode(), 200, headers, at, "src")


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_processed_page_is_picklable_and_carries_evidence() -> None:
    fetched = page("http://h.org/a?utm_source=x#c", "Port news")
    processed = process_page(fetched)
    assert processed.error is None
    assert processed.url_key == "http://h.org/a"
    assert processed.sha256 == hashlib.sha256(fetched.body).hexdigest()
    assert gzip.decompress(processed.html_gz) == fetched.body
    assert pickle.loads(pickle.dumps(processed)).canonical_url == processed.canonical_url


def test_canonical_on_another_site_does_not_merge_a_reprint_into_the_original() -> None:
    processed = process_page(page("http://mirror.org/x", "Copy", canonical="http://orig.org/x"))
    assert processed.canonical_url == "http://mirror.org/x"
    same_site = process_page(page("http://h.org/amp/x", "AMP", canonical="/x?utm_medium=a"))
    assert same_site.canonical_url == "http://h.org/x"


def test_recrawl_updates_in_place_and_keeps_earlier_versions(db: Database) -> None:
    first = process_page(page("http://h.org/a", "Version one", etag='"v1"'))
    assert store_processed(db, first) == "new"
    assert store_processed(db, process_page(page("http://h.org/a", "Version one"))) == "unchanged"
    later = T0 + timedelta(hours=3)
    changed = process_page(page("http://h.org/a#x", "Version two", etag='"v2"', at=later))
    assert store_processed(db, changed) == "changed"

    assert count(db, Article) == 1
    with db.session() as session:
        article = session.scalars(select(Article)).one()
        snapshots = session.scalars(select(Snapshot).order_by(Snapshot.fetched_at)).all()
        assert article.title and "Version two" in article.title
        assert article.content_sha256 == changed.sha256
        assert [s.sha256 for s in snapshots] == [first.sha256, changed.sha256]
        assert b"Version one" in gzip.decompress(snapshots[0].html_gz)
        assert snapshots[1].fetched_at.replace(tzinfo=UTC) == later
        seen = session.scalars(select(SeenUrl)).one()
        assert (seen.url_key, seen.etag, seen.article_id) == ("http://h.org/a", '"v2"', article.id)


def _fetched(body: bytes, at: datetime) -> FetchedPage:
    headers = {"content-type": "text/html; charset=utf-8"}
    return FetchedPage("http://h.org/n", body, 200, headers, at, "src")


def test_new_bytes_saying_the_same_store_nothing_and_a_later_notice_a_new_verdict(
    db: Database,
) -> None:
    story = page("http://h.org/n", "Port story").body
    first = process_page(_fetched(story, T0))
    assert store_processed(db, first) == "new"
    # A token in the page moved: other bytes, same content, so no snapshot and no new verdict.
    ticking = story.replace(b"</head>", b"<script>var served = '08:05:17';</script></head>")
    assert process_page(_fetched(ticking, T0)).sha256 != first.sha256
    moved = process_page(_fetched(ticking, T0 + timedelta(hours=1)))
    assert moved.content_hash == first.content_hash
    assert store_processed(db, moved) == "unchanged"
    # A rights notice added later: a new snapshot carrying the new verdict, the old one kept.
    notice = story.replace(
        b"</body>",
        b"<footer>All rights reserved. No reproduction without permission.</footer></body>",
    )
    later = process_page(_fetched(notice, T0 + timedelta(hours=2)))
    assert store_processed(db, later) == "changed"
    with db.session() as session:
        article = session.scalars(select(Article)).one()
        snapshots = session.scalars(select(Snapshot).order_by(Snapshot.fetched_at)).all()
        assert [s.sha256 for s in snapshots] == [first.sha256, later.sha256]
        statuses = [(s.rights or {}).get("status") for s in snapshots]
        assert statuses[0] == first.rights_status and statuses[1] == later.rights_status
        assert statuses[0] != statuses[1]
        assert article.rights_status == later.rights_status
        assert article.content_hash == later.content_hash
        seen = session.scalars(select(SeenUrl)).one()
        assert seen.sha256 == later.sha256


def test_two_urls_with_one_canonical_make_one_article(db: Database) -> None:
    pages = [
        process_page(page("http://h.org/story/9", "Same story")),
        process_page(page("http://h.org/amp/story/9", "Same story", canonical="/story/9")),
    ]
    outcomes = store_batch(db, pages)
    # The AMP copy differs in bytes, not in what it says: nothing new is stored for it.
    assert outcomes == {"new": 1, "unchanged": 1}
    assert count(db, Article) == 1
    with db.session() as session:
        keys = set(session.scalars(select(SeenUrl.url_key)))
    assert keys == {"http://h.org/story/9", "http://h.org/amp/story/9"}


def test_failed_pages_are_not_stored(db: Database) -> None:
    broken = process_page(page("http://h.org/b", "B"))
    broken.error = "parse: boom"
    assert store_batch(db, [broken]) == {}
    assert count(db, Article) == 0


def test_runs_count_items_and_finish_with_errors_by_kind(db: Database) -> None:
    with db.session() as session:
        run_id = start_run(session, "src", "schedule").id
    store_batch(
        db,
        [process_page(page(f"http://h.org/{i}", f"Item {i}")) for i in range(3)],
        {"src": run_id},
    )
    with db.session() as session:
        finish_run(session, run_id, "ok", pages=5, errors={"http_5xx": 2}, stats={"new": 3})
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        assert (run.status, run.trigger, run.pages, run.items) == ("ok", "schedule", 5, 3)
        assert run.errors == {"http_5xx": 2}
        assert run.pid and run.finished_at is not None
        assert run.stats["new"] == 3 and run.stats["duration_s"] >= 0


def test_visits_keep_validators_on_304_and_remember_gone_pages(db: Database) -> None:
    store_processed(db, process_page(page("http://h.org/a", "A", etag='"e"')))
    later = T0 + timedelta(days=1)
    remember_visits(
        db,
        [Visit("http://h.org/a", "src", 304, later), Visit("http://h.org/gone", "src", 404, later)],
    )
    with db.session() as session:
        seen = load_seen(session, ["src"])
    assert seen["http://h.org/a"].etag == '"e"'
    assert seen["http://h.org/gone"].status == 404
    assert count(db, Article) == 1


def test_signatures_commit_with_their_articles_and_missing_ones_are_linked_later(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18.5: a failure between storing and linking leaves the signature stored, and an
    article without one (stored by an older brwatch, say) is found and linked later."""
    import brwatch.provenance.links as links
    from brwatch.provenance.links import link_missing
    from brwatch.storage.models import Fingerprint

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the crawl was killed here")

    monkeypatch.setattr(links, "link_batch", broken)
    store_processed(db, process_page(page("http://h.org/orig", "Rail freight doubles")))
    store_processed(db, process_page(page("http://copy.org/x", "Rail freight doubles")))
    monkeypatch.undo()
    assert count(db, Fingerprint) == 2  # stored, though linking failed
    with db.session() as session:
        assert session.scalars(select(Article.reprint_of_id)).all() == [None, None]
        # an article stored before signatures were committed with it
        session.execute(Fingerprint.__table__.delete())
    assert link_missing(db) == 2
    assert count(db, Fingerprint) == 2
    with db.session() as session:
        originals = dict(session.execute(select(Article.url, Article.reprint_of_id)).all())
    assert originals["http://copy.org/x"] is not None
