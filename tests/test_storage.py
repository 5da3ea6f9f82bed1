"""The schema migrates on first use, on every backend, and matches the models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from brwatch.storage import Database, DatabaseError, open_database
from brwatch.storage.models import (
    TITLE_FTS_TABLE,
    TITLE_GRAMS_INDEX,
    TITLE_TRGM_INDEX,
    Article,
    Base,
    CrawlRun,
)


def _in_metadata(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave out the title search objects the migration adds by hand (see models.py): an FTS5
    virtual table and its shadow tables, and a pg_trgm index, which the metadata cannot express
    portably. Everything else must match."""
    if type_ == "table" and name and name.startswith(TITLE_FTS_TABLE):
        return False
    return not (type_ == "index" and name in (TITLE_TRGM_INDEX, TITLE_GRAMS_INDEX))


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _in_metadata})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"migrations and models disagree: {diff}"


def test_reopen_is_idempotent_and_keeps_data(db_url: str) -> None:
    first = Database(db_url)
    with first.session() as session:
        session.add(
            Article(canonical_url="https://a.example/1", url="https://a.example/1", source="s")
        )
        session.add(CrawlRun(source="s"))
    first.dispose()
    second = Database(db_url)
    with second.session() as session:
        assert session.scalars(select(Article.canonical_url)).all() == ["https://a.example/1"]
    second.dispose()


def test_unreachable_database_names_the_url() -> None:
    with pytest.raises(DatabaseError, match=re.escape("127.0.0.1:1")):
        open_database("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_processes_opening_a_new_database_at_once_all_succeed(db_url: str) -> None:
    """Crawler, scheduler and web app may all start on an empty database together."""
    import subprocess
    import sys

    code = "import sys; from brwatch.storage import Database; Database(sys.argv[1])"
    children = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    with Database(db_url).session() as session:
        assert session.scalars(select(Article)).all() == []


def test_all_pending_migrations_commit_as_one_transaction_on_sqlite(tmp_path: Path) -> None:
    """A process that commits between migrations lets another one in to run the next one
    again. On SQLite Alembic would commit after each unless handed our transaction (on
    PostgreSQL, whose DDL is transactional, it runs them in one)."""
    from sqlalchemy import event

    database = Database(f"sqlite:///{tmp_path / 'new.db'}", migrate=False)
    commits: list[str] = []
    event.listen(database.engine, "commit", lambda connection: commits.append("commit"))
    database.upgrade()
    assert database.current_revision() is not None  # migrated, 0001 and 0002 at least
    assert commits == ["commit"]
    database.dispose()


def test_times_are_kept_as_the_same_moment_on_every_backend(db: Database) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    beijing = datetime(2026, 11, 25, 18, 10, tzinfo=timezone(timedelta(hours=8)))
    with db.session() as session:
        url = "https://a.example/t"
        session.add(Article(canonical_url=url, url=url, source="s", published=beijing))
    with db.session() as session:
        stored = session.scalars(select(Article.published)).one()
    assert stored == beijing
    assert stored.astimezone(UTC).hour == 10 and stored.tzinfo is not None
