"""The queue's fast paths give the answers the slow ones gave, on both backends: counts kept by
triggers (queue_counts) agree with counting the articles after every kind of write; capped
counts and the other page plan for common title words change no row; the plans read the
indexes meant for them (EXPLAIN, no timing)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.orm import Session

from brwatch.attribution.registry import load_publishers
from brwatch.provenance.reuse import registry_version
from brwatch.storage import Database
from brwatch.storage.models import QUEUE_COUNT_COLUMNS, Article, QueueCount
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES, is_flagged
from brwatch.storage.statistics import refresh_statistics
from brwatch.web import queue
from brwatch.web.queue import QueueFilters, load_queue, matching_ids

STATUSES = [*FLAGGED_STATUSES, "open_license", None]
LINKS = [*FLAGGED_LINKS, "ok", None]
REVIEWS = ["pending", "cleared", "do_not_reuse"]
TITLES = [
    "China and Kenya sign rail cooperation agreement",
    "Belt and Road port project in Laos enters final phase",
    "中国与老挝签署铁路合作协议",
    "“一带一路”港口项目在黑山开工",
    "Китай и Сербия подписали соглашение",
    "CHINA opens solar corridor",
    None,
]
START = datetime(2026, 1, 1, tzinfo=UTC)
# Stored reuse verdicts marked current, so the queue's refresh leaves these facet values be.
CURRENT = registry_version(load_publishers())


def _rows(count: int) -> list[dict[str, Any]]:
    """Articles over every combination of the facet columns, nulls included."""
    combos = itertools.cycle(
        itertools.product(STATUSES, LINKS, REVIEWS, (True, False), (False, True))
    )
    rows = []
    for n, (status, link, review, relevant, conflict) in zip(range(count), combos, strict=False):
        rows.append(
            {
                "canonical_url": f"https://a.example/{n}",
                "url": f"https://a.example/{n}",
                "source": ("xinhua", "tass", "dawn")[n % 3],
                "lang": ("en", "zh", None)[n % 3],
                "title": TITLES[n % len(TITLES)],
                "relevant": relevant,
                "reuse_status": status,
                "reuse_basis": CURRENT,
                "attribution_link": link,
                "reuse_conflict": conflict,
                "rights_unmatched": n % 11 == 0,
                "review_state": review,
                "fetched_at": START + timedelta(hours=n % 37),
                "published": None if n % 13 == 0 else START - timedelta(hours=n % 29),
            }
        )
    return rows


def _add(db: Database, count: int) -> None:
    with db.session() as session:
        session.execute(insert(Article), _rows(count))


def _counted_from_articles(session: Session) -> Counter[tuple[Any, ...]]:
    columns = [getattr(Article, name) for name in QUEUE_COUNT_COLUMNS]
    counts: Counter[tuple[Any, ...]] = Counter()
    for *key, n in session.execute(select(*columns, func.count()).group_by(*columns)):
        counts[tuple("" if value is None else value for value in key)] += n
    return counts


def _kept(session: Session) -> Counter[tuple[Any, ...]]:
    columns = [getattr(QueueCount, name) for name in QUEUE_COUNT_COLUMNS]
    return Counter(
        {tuple(key): n for *key, n in session.execute(select(*columns, QueueCount.n)) if n}
    )


def _assert_counts_kept(db: Database) -> None:
    with db.session() as session:
        assert _kept(session) == _counted_from_articles(session)


def test_queue_counts_follow_every_write(db: Database) -> None:
    _add(db, 200)
    _assert_counts_kept(db)
    with db.session() as session:  # bulk updates of each facet column, nulls both ways
        session.execute(update(Article).where(Article.id % 3 == 0).values(review_state="cleared"))
        session.execute(update(Article).where(Article.id % 4 == 0).values(reuse_status=None))
        session.execute(
            update(Article).where(Article.id % 5 == 0).values(attribution_link="missing", lang="ru")
        )
        session.execute(update(Article).where(Article.id % 7 == 0).values(relevant=True))
        session.execute(update(Article).where(Article.id % 2 == 0).values(title="unchanged facets"))
    _assert_counts_kept(db)
    with db.session() as session:  # the ORM, one row at a time
        article = session.get(Article, 10)
        assert article is not None
        article.review_state, article.source, article.reuse_conflict = "do_not_reuse", "new", True
        session.add(
            Article(canonical_url="https://b.example/1", url="https://b.example/1", source="b")
        )
    _assert_counts_kept(db)
    with db.session() as session:
        session.execute(delete(Article).where(Article.id % 6 == 1))
    _assert_counts_kept(db)
    with db.session() as session:
        session.execute(delete(Article))
        assert _kept(session) == Counter()


def _expected(session: Session, filters: QueueFilters) -> dict[str, Any]:
    """What the queue must count, by reading every article in Python."""
    articles = session.scalars(select(Article)).all()
    words = (filters.q or "").strip().lower()

    def matches(a: Article, *, status: bool, link: bool, review: bool) -> bool:
        return (
            is_flagged(a.reuse_status, a.reuse_conflict, a.rights_unmatched, a.attribution_link)
            and (filters.include_irrelevant or a.relevant)
            and (filters.source is None or a.source == filters.source)
            and (filters.lang is None or a.lang == filters.lang)
            and (filters.conflict is None or a.reuse_conflict == filters.conflict)
            and (not words or words in (a.title or "").lower())
            and (not status or not filters.status or a.reuse_status == filters.status)
            and (not link or not filters.link or a.attribution_link == filters.link)
            and (not review or filters.review is None or a.review_state == filters.review)
        )

    chosen = [a for a in articles if matches(a, status=True, link=True, review=True)]
    by_status = Counter(
        a.reuse_status
        for a in articles
        if matches(a, status=False, link=True, review=True) and a.reuse_status in FLAGGED_STATUSES
    )
    by_link = Counter(
        a.attribution_link
        for a in articles
        if matches(a, status=True, link=False, review=True) and a.attribution_link in FLAGGED_LINKS
    )
    by_review = Counter(
        a.review_state for a in articles if matches(a, status=True, link=True, review=False)
    )
    return {
        "total": len(chosen),
        "conflicts": sum(a.reuse_conflict for a in chosen),
        "by_status": dict(by_status),
        "by_link": dict(by_link),
        "by_review": dict(by_review),
    }


FILTERS = [
    QueueFilters(),
    QueueFilters(review=None),
    QueueFilters(review=None, include_irrelevant=True),
    QueueFilters(status="prohibited", link="missing"),
    QueueFilters(status="permission_required", source="tass", review="cleared"),
    QueueFilters(conflict=True, review=None, lang="zh"),
    QueueFilters(conflict=False, link="broken"),
    QueueFilters(q="china", review=None),
    QueueFilters(q="合作", status="prohibited"),
    QueueFilters(q="一带一路", review=None, include_irrelevant=True),
]


def test_counts_are_what_counting_the_articles_gives(db: Database) -> None:
    _add(db, 400)
    with db.session() as session:
        for filters in FILTERS:
            page = load_queue(session, filters)
            assert not page.counts_capped
            got = {
                "total": page.total,
                "conflicts": page.conflicts,
                "by_status": page.by_status,
                "by_link": page.by_link,
                "by_review": page.by_review,
            }
            assert got == _expected(session, filters), filters
        assert page.sources == ["dawn", "tass", "xinhua"]
        assert load_queue(session, QueueFilters()).languages == ["en", "zh"]


def test_capped_counts_change_no_row(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the limit, the page says "more than" and counts no facet; its rows (the other plan
    for common words included) are the ones the exact page has, in the same order."""
    _add(db, 400)
    searches = [
        QueueFilters(q="china", review=None, sort=sort, page=page)
        for sort in ("newest", "oldest", "published", "source", "status")
        for page in (1, 2)
    ] + [
        QueueFilters(q="合作", review=None, per_page=7, page=3),
        QueueFilters(since=(START - timedelta(days=2)).date(), until=START.date(), review=None),
    ]
    with db.session() as session:
        exact = [
            load_queue(session, QueueFilters(**{**f.__dict__, "per_page": 10})) for f in searches
        ]
    monkeypatch.setattr(queue, "COUNT_LIMIT", 5)
    with db.session() as session:
        for filters, before in zip(searches, exact, strict=True):
            page = load_queue(session, QueueFilters(**{**filters.__dict__, "per_page": 10}))
            assert page.counts_capped and page.total_capped, filters
            assert (page.total, page.by_status, page.by_review, page.by_link) == (5, {}, {}, {})
            assert [r.id for r in page.rows] == [r.id for r in before.rows], filters
        # Facets over the limit but the selection itself under it: the exact total.
        few = load_queue(
            session, QueueFilters(q="china", status="attribution_required", link="broken")
        )
    assert few.counts_capped and not few.total_capped
    assert few.total == _expected_total(db, few.filters)


def _expected_total(db: Database, filters: QueueFilters) -> int:
    with db.session() as session:
        return int(_expected(session, filters)["total"])


def test_title_search_rows_match_with_either_plan(db: Database) -> None:
    """For common words the page comes from the sort's index with the LIKE alone; the ids and
    their order are the ones the indexed search gives."""
    _add(db, 300)
    with db.session() as session:
        for words in ("china", "CHINA", "oad", "一带一路", "合作", "Китай", "no such words"):
            for sort in ("newest", "oldest", "published", "source", "status"):
                filters = QueueFilters(q=words, review=None, sort=sort, per_page=500)
                indexed = queue._page_rows(session, filters)
                scanned = queue._page_rows(session, filters, many=True)
                assert [r.id for r in indexed] == [r.id for r in scanned], (words, sort)
                assert set(matching_ids(session, filters, 500)) == {r.id for r in indexed}


def _plan(session: Session, statement: Any) -> str:
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        return "\n".join(row[-1] for row in rows)
    # The tables are tiny here: make any scan that an index can replace look dear, so the plan
    # shows whether the index answers the query (and gives its order) at all.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))


def _page_query(session: Session, filters: QueueFilters) -> Any:
    return (
        select(Article.id)
        .where(*filters.clauses(session))
        .order_by(*queue._SORTS[filters.sort])
        .limit(filters.per_page)
    )


SORT_INDEXES = {
    "newest": "ix_articles_queue",
    "oldest": "ix_articles_queue",
    "published": "ix_articles_queue_by_published",
    "source": "ix_articles_queue_by_source",
    "status": "ix_articles_queue_by_status",
}


def test_every_sort_reads_its_index_in_order(db: Database) -> None:
    _add(db, 300)
    refresh_statistics(db, force=True)
    with db.session() as session:
        for sort, index in SORT_INDEXES.items():
            plan = _plan(session, _page_query(session, QueueFilters(sort=sort)))
            assert index in plan, (sort, plan)
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, (sort, plan)
        plan = _plan(session, _page_query(session, QueueFilters(review=None)))
        assert "ix_articles_queue_any_state" in plan and "Sort" not in plan, plan


def test_counts_read_queue_counts_and_titles_their_index(db: Database) -> None:
    _add(db, 300)
    with db.session() as session:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        bind = session.get_bind()
        event.listen(bind, "before_cursor_execute", record)
        try:
            load_queue(session, QueueFilters(review=None, include_irrelevant=True))
        finally:
            event.remove(bind, "before_cursor_execute", record)
        counting = [s for s in statements if "count(" in s.lower() or "sum(" in s.lower()]
        assert counting and all("queue_counts" in s for s in counting), counting

        search = select(Article.id).where(*queue.title_clauses(session, "china"))
        plan = _plan(session, search)
        short = _plan(session, select(Article.id).where(*queue.title_clauses(session, "合作")))
        if bind.dialect.name == "sqlite":
            assert "articles_title_fts VIRTUAL TABLE" in plan, plan
            assert "articles_title_fts VIRTUAL TABLE" in short, short
        else:
            # Never the wide rows: the trigram index, or the queue's index holding the titles
            # (migration 0010), read index-only, whichever the planner finds cheaper.
            for words, chosen, index in (("china", plan, "trgm"), ("合作", short, "grams")):
                assert "Seq Scan" not in chosen, (words, chosen)
                assert f"ix_articles_title_{index}" in chosen or "ix_articles_queue" in chosen
            # A common word's capped counts read the titles from the queue's index.
            definition = session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_articles_queue'")
            )
            assert "INCLUDE (title)" in definition, definition


def test_statistics_cover_an_index_added_later(sqlite_db: Database) -> None:
    _add(sqlite_db, 50)
    assert refresh_statistics(sqlite_db)
    assert not refresh_statistics(sqlite_db)
    with sqlite_db.engine.begin() as connection:
        connection.execute(text("CREATE INDEX ix_articles_later ON articles (url)"))
    assert refresh_statistics(sqlite_db)  # the new index had none
    with sqlite_db.engine.connect() as connection:
        assert connection.execute(
            text("SELECT 1 FROM sqlite_stat1 WHERE idx = 'ix_articles_later'")
        ).first()


def test_page_and_api_say_when_counts_are_capped(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brwatch.web import WebSettings, create_app
    from tests.web_data import add_users, login, make_client

    add_users(sqlite_db)
    _add(sqlite_db, 120)
    client = make_client(create_app(sqlite_db, WebSettings(secret_key="test-secret")))
    login(client, "edith")
    exact = client.get("/api/queue?q=china&review=any").json()
    assert exact["total"] > 5 and not exact["total_capped"] and not exact["counts_capped"]
    monkeypatch.setattr(queue, "COUNT_LIMIT", exact["total"])  # exactly at the limit: exact
    assert client.get("/api/queue?q=china&review=any").json() == exact
    monkeypatch.setattr(queue, "COUNT_LIMIT", 5)
    capped = client.get("/api/queue?q=china&review=any").json()
    assert (capped["total"], capped["total_capped"], capped["counts_capped"]) == (5, True, True)
    assert capped["items"] == exact["items"]
    page = client.get("/queue?q=china&review=any").text
    assert "more than 5 items" in page
    assert "All 5 items matching" not in page  # no bulk decision on a count that is a floor
    assert client.get("/queue?review=any").text.count("more than") == 0


@pytest.mark.postgres
def test_postgres_plans_each_title_search_for_its_own_words(postgres_db: Database) -> None:
    """A statement psycopg prepared is planned again for each pattern: a generic plan for
    `title ILIKE $1` ANDs the trigram index even for two characters, reading all of it."""
    db = postgres_db
    _add(db, 60)
    with db.session() as session:
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        for _ in range(7):  # past psycopg's prepare threshold (5)
            found = set(matching_ids(session, QueueFilters(q="合作", review=None), 500))
        plan = _plan(session, select(Article.id).where(*queue.title_clauses(session, "合作")))
    assert found and "ix_articles_title_trgm" not in plan, plan
