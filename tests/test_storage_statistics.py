"""brwatch gathers planner statistics itself: when there are none, and after a big crawl."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.storage.statistics import CHANGED_ROWS, refresh_statistics

pytestmark = pytest.mark.postgres


def _add_articles(db: Database, start: int, count: int) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [
        {
            "canonical_url": f"https://news.example/{n}",
            "url": f"https://news.example/{n}",
            "source": "example",
            "title": f"Story {n}",
            "relevant": True,
            "topic_score": 0.9,
            "fetched_at": now,
        }
        for n in range(start, start + count)
    ]
    with db.session() as session:
        session.execute(insert(Article), rows)


def _rows_the_planner_knows(db: Database) -> int | None:
    """The article count as the statistics have it (None: no statistics)."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            if not db.engine.dialect.has_table(connection, "sqlite_stat1"):
                return None
            stat = connection.execute(
                text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'articles' AND stat IS NOT NULL")
            ).scalar()
            return int(stat.split()[0]) if stat else None
        tuples = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('articles')")
        ).scalar()
        return None if tuples is None or tuples < 0 else int(tuples)


def test_a_big_crawl_refreshes_the_statistics_and_a_small_one_does_not(db: Database) -> None:
    # SQLite samples at most SQLITE_ANALYSIS_LIMIT index rows, so its count is an estimate.
    _add_articles(db, 0, CHANGED_ROWS + 200)
    assert refresh_statistics(db, changed_rows=CHANGED_ROWS + 200)
    known = _rows_the_planner_knows(db)
    assert known is not None
    assert known == pytest.approx(CHANGED_ROWS + 200, rel=0.2)

    _add_articles(db, 10_000, 2_000)
    assert not refresh_statistics(db, changed_rows=50)  # under both thresholds
    assert _rows_the_planner_knows(db) == known

    assert refresh_statistics(db, changed_rows=2_000)
    assert _rows_the_planner_knows(db) > known * 1.5
    assert refresh_statistics(db, force=True)


def test_a_database_without_statistics_gets_them_on_first_call(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    _add_articles(db, 0, 30)
    assert _rows_the_planner_knows(db) is None
    assert refresh_statistics(db)  # nothing written since, but none were ever gathered
    assert _rows_the_planner_knows(db) == 30
    assert not refresh_statistics(db)
    db.dispose()


def test_a_failure_to_gather_is_logged_not_raised(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "readonly.db"
    db = Database(f"sqlite:///{path}")
    _add_articles(db, 0, 5)
    db.dispose()
    readonly = Database(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    assert refresh_statistics(readonly) is False
    assert "could not gather planner statistics" in caplog.text
    readonly.dispose()
