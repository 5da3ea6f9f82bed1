"""Shared fixtures: a database on every backend, the CLI, and sites served on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from brwatch.storage import Database
from brwatch.storage.models import Base

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
# Tests reach PostgreSQL here unless told otherwise; BRWATCH_TEST_PG=off runs SQLite only.
PG_ADMIN_URL = os.environ.get(
    "BRWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_ENABLED = os.environ.get("BRWATCH_TEST_PG", "on") != "off"
BACKENDS = ["sqlite", "postgresql"] if PG_ENABLED else ["sqlite"]

pytest_plugins = ["tests.sites", "tests.cluster_harness"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"brwatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the message must say why PostgreSQL tests cannot run
        pytest.fail(
            f"PostgreSQL at {PG_ADMIN_URL} is not usable ({exc}); "
            "start it or set BRWATCH_TEST_PG=off"
        )
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend, empty at the start of the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'brwatch.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _empty_postgres(url)


def _empty_postgres(url: str) -> None:
    """Every table of the session's PostgreSQL database emptied for the next test."""
    engine = create_engine(url)
    with engine.begin() as connection:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for extra in ("apscheduler_jobs",):
            connection.execute(text(f"DROP TABLE IF EXISTS {extra}"))
    engine.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    """A Database on PostgreSQL only, empty at the start of the test."""
    database = Database(postgres_url)
    yield database
    database.dispose()
    _empty_postgres(postgres_url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """SQLite only, for unit tests whose subject does not depend on the backend."""
    database = Database(f"sqlite:///{tmp_path / 'brwatch.db'}")
    yield database
    database.dispose()


class CliResult:
    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def __repr__(self) -> str:
        return f"<exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


@pytest.fixture
def brwatch(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the real `brwatch` command in a subprocess: brwatch("crawl", db=..., input=...)."""

    def run(
        *args: str,
        db: str | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 240,
        cwd: Path | None = None,
    ) -> CliResult:
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        if db:
            full_env["BRWATCH_DB_URL"] = db
        completed = subprocess.run(
            [sys.executable, "-m", "brwatch.cli", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=cwd or tmp_path,
        )
        return CliResult(completed)

    return run


# The fast lane (`pytest -m "not slow"`) leaves out what spawns processes (the real CLI, crawls,
# daemons), drives a browser, builds packages or reads every corpus page. Tests using the
# `brwatch` fixture spawn the CLI; the modules below do the rest throughout.
_SLOW_FIXTURES = frozenset({"brwatch"})
_SLOW_MODULES = frozenset(
    {
        "test_crawl_e2e",
        "test_crawl_faults",
        "test_crawl_pipeline_pool",
        "test_demo_cli",
        "test_packaging",
        "test_schedule_daemon",
        "test_web_serve",
        "test_browser_review",
        "test_provenance_corpus",
        "test_extract_quality",
        "test_rights_accuracy",
        "test_rights_paths",
    }
)
# Tests named for a whole corpus or for several processes read every page or spawn Pythons.
_SLOW_NAME_PARTS = ("on_the_corpora", "every_corpus_page", "every_labelled_item", "processes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        slow = (
            module in _SLOW_MODULES
            or item.get_closest_marker("browser") is not None
            or any(part in item.name for part in _SLOW_NAME_PARTS)
            or _SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        if slow:
            item.add_marker(pytest.mark.slow)
