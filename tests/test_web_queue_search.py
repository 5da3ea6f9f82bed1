"""The queue's title search: indexed (SQLite FTS5 trigram, PostgreSQL pg_trgm) and yet exactly
what a LIKE over every title finds, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.web import queue
from brwatch.web.queue import QueueFilters, matching_ids

TITLES = [
    "Belt and Road project 12: new rail link opens",
    "BELT AND ROAD Project 120 signed",
    "belt and road cooperation forum",
    "一带一路项目12：新铁路开通",
    "一带一路合作论坛在北京举行",
    "Проект «Пояс и путь» 12: открыта новая железная дорога",
    "Rail 100% complete, 50_50 split",
    'A "quoted" title about roads',
    "Ünïcode Straße in Zürich",
    None,
    # Titles no longer than the shortest words (indexed through the padding of migration 0007).
    "合作",
    "路",
    "Ra",
]
QUERIES = [
    "road",
    "ROAD",
    "Belt and Road project 12",
    "project 12",
    "project 120",
    "一带一路",
    "项目12",
    "合作",
    "路",
    "Пояс",
    "путь",
    "ra",
    "100%",
    "50_50",
    '"quoted"',
    "straße",
    "ZÜRICH",
    "zürich",
    "  rail link  ",
    "no such words",
]


def _add_articles(db: Database) -> list[int]:
    with db.session() as session:
        articles = [
            Article(
                canonical_url=f"https://a.example/{n}",
                url=f"https://a.example/{n}",
                source="a",
                title=title,
                relevant=True,
                rights_status="prohibited",
            )
            for n, title in enumerate(TITLES)
        ]
        session.add_all(articles)
        session.flush()
        return [a.id for a in articles]


def _found(db: Database, words: str) -> set[int]:
    with db.session() as session:
        return set(matching_ids(session, QueueFilters(q=words, review=None), limit=1000))


def _like(db: Database, words: str) -> set[int]:
    with db.session() as session:
        literal = queue.like_literal(words.strip())
        query = select(Article.id).where(Article.title.ilike(f"%{literal}%", escape="\\"))
        return set(session.scalars(query))


def test_title_search_finds_exactly_what_like_finds(db: Database) -> None:
    ids = _add_articles(db)
    for words in QUERIES:
        assert _found(db, words) == _like(db, words), words
    # And the LIKE itself is what we mean (so the comparison above is not vacuous).
    assert _found(db, "Belt and Road project 12") == {ids[0], ids[1]}
    assert _found(db, "项目12") == {ids[3]}
    assert _found(db, "一带一路") == {ids[3], ids[4]}
    assert _found(db, '"quoted"') == {ids[7]}
    assert _found(db, "no such words") == set()
    assert _found(db, "合作") == {ids[4], ids[10]}
    assert _found(db, "路") == {ids[3], ids[4], ids[11]}


def test_search_follows_title_changes_and_deletions(db: Database) -> None:
    ids = _add_articles(db)
    with db.session() as session:
        session.execute(update(Article).where(Article.id == ids[2]).values(title="Silk cable"))
        session.execute(delete(Article).where(Article.id == ids[0]))
    assert _found(db, "cooperation") == set()
    assert _found(db, "silk cab") == {ids[2]}
    assert _found(db, "rail link") == set()
    assert _found(db, "road project") == {ids[1]}


def test_sqlite_search_goes_through_the_trigram_index(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the index disabled the same search must still agree, proving the index is used
    (the clause list differs) and is not what decides the answer."""
    _add_articles(sqlite_db)
    with sqlite_db.session() as session:
        assert len(queue.title_clauses(session, "road")) == 3  # LIKE, MATCH, the join
        assert len(queue.title_clauses(session, "ra")) == 3  # through the trigrams "ra" begins
        assert len(queue.title_clauses(session, "路")) == 3
        assert len(queue.title_clauses(session, "Ün")) == 1  # case folding differs: LIKE alone
        assert len(queue.title_clauses(session, "100%")) == 3  # taken literally, so indexed too
    indexed = {words: _found(sqlite_db, words) for words in QUERIES}
    monkeypatch.setattr(queue, "use_title_index", False)
    assert {words: _found(sqlite_db, words) for words in QUERIES} == indexed
