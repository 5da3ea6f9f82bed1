"""Liveness of long-running processes: each beats one row in ``process_heartbeats``.

The scheduler beats from its main loop (a worker would do the same with role "worker"); /metrics
and status read the rows, so a process that died or hangs shows as a row that stopped moving,
seen the same from every host. A clean stop removes the row.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from brwatch.storage import Database
from brwatch.storage.models import ProcessHeartbeat, utcnow

# Seconds between beats; a process is taken as alive while its last beat is under 3 of these.
BEAT_EVERY = 15.0
ALIVE_WITHIN = 3 * BEAT_EVERY
# Rows of processes gone this long are removed, so a host that left stops being reported.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    role: str
    host: str | None
    pid: int | None
    started_at: datetime
    seen_at: datetime
    current_source: str | None = None


def beat(
    db: Database,
    name: str,
    role: str,
    now: datetime | None = None,
    *,
    current_source: str | None = None,
) -> None:
    """Record that process ``name`` is alive now (its row is made on the first beat), and what
    it crawls (a worker's source, for `brwatch status`)."""
    now = now or utcnow()
    with db.session() as session:
        moved = cast(
            "CursorResult[Any]",
            session.execute(
                update(ProcessHeartbeat)
                .where(ProcessHeartbeat.name == name)
                .values(seen_at=now, current_source=current_source)
            ),
        ).rowcount
        if not moved:
            session.add(
                ProcessHeartbeat(
                    name=name,
                    role=role,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=now,
                    seen_at=now,
                    current_source=current_source,
                )
            )
        session.execute(
            delete(ProcessHeartbeat).where(ProcessHeartbeat.seen_at < now - FORGET_AFTER)
        )


def forget(db: Database, name: str) -> None:
    """A clean stop: the process is gone, not dead."""
    with db.session() as session:
        session.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.name == name))


def heartbeats(db: Database) -> list[Heartbeat]:
    with db.session() as session:
        rows = session.scalars(select(ProcessHeartbeat).order_by(ProcessHeartbeat.name))
        return [
            Heartbeat(
                row.name,
                row.role,
                row.host,
                row.pid,
                row.started_at,
                row.seen_at,
                row.current_source,
            )
            for row in rows
        ]
