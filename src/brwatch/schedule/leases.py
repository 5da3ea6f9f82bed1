"""A lease per job in the database: the guard that keeps schedulers sharing one database from
running the same job twice, on SQLite and PostgreSQL alike.

A lease is taken with a single ``UPDATE ... WHERE`` that only matches when nobody holds it (or the
holder's lease expired) and the job's previous claim is far enough behind; the database makes that
atomic, so of two schedulers firing the same job at once exactly one gets ``rowcount == 1``.
The holder renews it while the job runs; a scheduler that dies simply lets it expire.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from brwatch.storage import Database
from brwatch.storage.database import changed_rows
from brwatch.storage.models import SchedulerLease, utcnow


class LeaseBook:
    """Take, renew and release leases for one scheduler process (``owner``)."""

    def __init__(self, db: Database, owner: str, ttl: float) -> None:
        self.db = db
        self.owner = owner
        self.ttl = timedelta(seconds=ttl)

    def claim(self, name: str, min_gap: float) -> bool:
        """Take the lease on ``name`` unless it is held, or was taken less than ``min_gap`` ago."""
        self._ensure_row(name)
        now = utcnow()
        statement = (
            update(SchedulerLease)
            .where(SchedulerLease.name == name)
            .where(or_(SchedulerLease.owner.is_(None), SchedulerLease.expires_at < now))
            # Compared with the gap of the job's schedule now, so a schedule change applies at once.
            .where(
                or_(
                    SchedulerLease.claimed_at.is_(None),
                    SchedulerLease.claimed_at <= now - timedelta(seconds=min_gap),
                )
            )
            .values(owner=self.owner, expires_at=now + self.ttl, claimed_at=now)
        )
        with self.db.session() as session:
            return changed_rows(session, statement) == 1

    def renew(self, name: str) -> bool:
        statement = (
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.owner == self.owner)
            .values(expires_at=utcnow() + self.ttl)
        )
        with self.db.session() as session:
            return changed_rows(session, statement) == 1

    def release(self, name: str) -> None:
        statement = (
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.owner == self.owner)
            .values(owner=None, expires_at=None)
        )
        with self.db.session() as session:
            session.execute(statement)

    def holder(self, name: str) -> str | None:
        with self.db.session() as session:
            lease = session.get(SchedulerLease, name)
            if lease is None or lease.expires_at is None:
                return None
            return lease.owner

    def _ensure_row(self, name: str) -> None:
        with self.db.session() as session:
            if session.get(SchedulerLease, name) is not None:
                return
        try:
            with self.db.session() as session:
                session.add(SchedulerLease(name=name))
        except IntegrityError:
            pass  # another scheduler created it first: fine, the UPDATE decides
