"""One clock for leases: the database's, so hosts whose clocks drift agree on expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def db_now(session: Session) -> datetime:
    """The database server's time (PostgreSQL's wall clock, not the transaction's start);
    SQLite has no server, so this host's clock."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(select(func.clock_timestamp())).scalar_one()
        return value.astimezone(UTC)
    return datetime.now(UTC)


def now_expr(session: Session):  # type: ignore[no-untyped-def]
    """The database's "now" inside a statement (no extra round trip on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.clock_timestamp()
    return datetime.now(UTC)
