"""The schema migrates on first use, on every backend, and matches the models."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from brwatch.storage import Database, DatabaseError, open_database
from brwatch.storage.models import Article, Base, CrawlRun


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
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
