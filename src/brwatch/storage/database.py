"""Connecting to the database and bringing its schema up to date on first use."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from brwatch.errors import BrwatchError
from brwatch.settings import CoreSettings

DEFAULT_DB_URL = "sqlite:///brwatch.db"
MIGRATIONS = Path(__file__).parent / "migrations"
# Seconds a writer waits for SQLite's lock: crawler, scheduler and web app write at once.
SQLITE_BUSY_TIMEOUT = 30
_upgrade_lock = threading.Lock()


class DatabaseError(BrwatchError, RuntimeError):
    """The database cannot be reached or brought up to date; the message names the URL."""


def database_url(explicit: str | None = None) -> str:
    return explicit or CoreSettings.load().db_url


def changed_rows(session: Session, statement: Any) -> int:
    """How many rows an UPDATE or DELETE run in ``session`` changed (0 when the guard in its
    WHERE no longer held: a lease lost, a version moved on)."""
    return int(cast("CursorResult[Any]", session.execute(statement)).rowcount or 0)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_timeouts() -> dict[str, object]:
    """A server that accepts connections but never answers must not hang brwatch: seconds to
    connect (libpq's connect_timeout covers the whole startup) and the server-side limit of one
    statement (brwatch.settings); TCP keepalives notice a server gone mid-connection."""
    settings = CoreSettings.load()
    connect, statement = settings.db_connect_timeout, settings.db_statement_timeout
    return {
        "connect_timeout": max(1, round(connect)),
        # Custom plans always: psycopg prepares a statement run five times, and PostgreSQL's
        # generic plan for `title ILIKE $1` cannot see that a one- or two-character pattern
        # makes the trigram index read everything (the queue's `q=黑山`: 2 s instead of 1 ms).
        "options": (
            f"-c statement_timeout={round(statement * 1000)} -c plan_cache_mode=force_custom_plan"
        ),
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class Database:
    """An engine plus a session factory, migrated to the newest schema when opened."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        kwargs: dict = {"future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
            if url.startswith("postgresql"):
                kwargs["connect_args"] = _postgres_timeouts()
        try:
            self.engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise DatabaseError(f"cannot use database {_redact(url)}: {exc}") from exc
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    @property
    def display_url(self) -> str:
        return _redact(self.url)

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self) -> None:
        """Apply pending migrations; cheap when the schema is already current."""
        config = _alembic_config(self.engine)
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            if self.current_revision() == head:
                return
            with _upgrade_lock:
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise DatabaseError(
                f"cannot reach database {self.display_url}: {exc.orig or exc}"
            ) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    return Database(database_url(url), migrate=migrate)
