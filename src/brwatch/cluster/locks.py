"""PostgreSQL advisory locks held for a process's life: the active scheduler, a worker's id.

A session-level advisory lock lives on one connection: it is released when the process dies
or its connection drops, so a standby takes over without anyone cleaning up. ``held`` asks the
connection; a lost connection means the lock is lost too.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from brwatch.errors import BrwatchError
from brwatch.storage import Database

# The first key of the two-key advisory locks brwatch takes (the second names the holder).
SCHEDULER_LOCK = 14_001
WORKER_LOCK = 14_002


class ClusterError(BrwatchError):
    """A scheduler or worker cannot join the cluster; the message says why."""


class AdvisoryLock:
    """One advisory lock (``namespace``, ``name``) on its own connection."""

    def __init__(self, db: Database, namespace: int, name: str) -> None:
        if db.engine.dialect.name != "postgresql":
            raise ClusterError(
                f"crawling on many hosts needs PostgreSQL, not {db.engine.dialect.name} "
                f"({db.display_url})"
            )
        self.db = db
        self.namespace = namespace
        self.name = name
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now."""
        if self.held():
            return True
        self.release()
        connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(
                select(func.pg_try_advisory_lock(self.namespace, func.hashtext(self.name)))
            ).scalar_one()
        except DBAPIError:
            connection.close()
            raise
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def held(self) -> bool:
        """Whether the lock's connection is still there (and so the lock)."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(select(1))
            return True
        except DBAPIError:
            self.release()
            return False

    def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(DBAPIError):
                connection.execute(
                    select(func.pg_advisory_unlock(self.namespace, func.hashtext(self.name)))
                )
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()
