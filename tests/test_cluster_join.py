"""Who may join the cluster: a worker refuses a database of another schema, a Redis that does
not answer, and an id another live worker holds — each with a message saying so."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from brwatch.cluster.locks import ClusterError
from brwatch.cluster.node import WorkerNode, WorkerSettings
from brwatch.storage import Database
from brwatch.storage.database import _alembic_config

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    yield database
    database.upgrade()
    database.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _join(url: str, worker_id: str = "w1", redis_url: str = REDIS_URL) -> WorkerNode:
    return WorkerNode.join(url, redis_url, worker_id, WorkerSettings())


def test_a_worker_joins_once_per_id(pg: Database) -> None:
    first = _join(pg.url)
    try:
        with pytest.raises(ClusterError, match="already runs as --worker-id 'w1'"):
            _join(pg.url)
        second = _join(pg.url, "w2")
        second.leave()
    finally:
        first.leave()
    # Its lock went with it: the id is free again.
    _join(pg.url).leave()


def test_an_older_schema_is_refused_not_migrated(pg: Database) -> None:
    command.downgrade(_alembic_config(pg.engine), "0005")
    with pytest.raises(ClusterError, match="older than this brwatch"):
        _join(pg.url)
    assert pg.current_revision() == "0005"


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


def test_a_newer_schema_is_refused(pg: Database) -> None:
    head = ScriptDirectory.from_config(_alembic_config(pg.engine)).get_current_head()
    assert head is not None
    _stamp(pg.url, "9999")
    try:
        with pytest.raises(ClusterError, match="schema 9999, newer than this brwatch knows"):
            _join(pg.url)
    finally:
        _stamp(pg.url, head)


def test_a_redis_that_does_not_answer_is_an_error(pg: Database) -> None:
    with pytest.raises(ClusterError, match="does not answer"):
        _join(pg.url, redis_url=f"redis://127.0.0.1:{_free_port()}/0")


def test_sqlite_cannot_host_workers(sqlite_db: Database) -> None:
    with pytest.raises(ClusterError, match="needs PostgreSQL"):
        _join(sqlite_db.url)
