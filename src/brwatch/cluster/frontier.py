"""The URL frontier of the distributed crawl, in the database.

A worker *claims* a URL before fetching it: one UPDATE takes it if it is new, its earlier
holder's lease has run out, or its last fetch is older than the freshness window; the row's
``token`` then grows by one. Of two workers claiming one URL, exactly one gets it (PostgreSQL
re-checks the WHERE on the row it waited for; SQLite has one writer at a time).

Storing is *fenced*: :func:`admit` locks the rows of the pages about to be stored and keeps only
those whose lease is still the worker's, unexpired, with the token it was given; the article,
its snapshot and the done mark (:func:`complete`) are written in that same transaction. A worker
that was paused past its lease (and whose URL another worker has since claimed) stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from brwatch.cluster.clock import db_now, now_expr
from brwatch.storage.database import changed_rows
from brwatch.storage.models import FrontierUrl, SeenUrl

# Statuses that say "this URL has nothing": remembered, never fetched again (as in one-host crawls).
GONE = (404, 410)
URL_STATES = ("queued", "leased", "done")


@dataclass(frozen=True, slots=True)
class Claim:
    """A URL this worker may fetch now, under ``token``, with validators for a conditional GET."""

    url_key: str
    token: int
    etag: str | None = None
    last_modified: str | None = None


def _insert(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FrontierUrl)


def _claimable(now: datetime, freshness: float):  # type: ignore[no-untyped-def]
    return or_(
        FrontierUrl.state == "queued",
        and_(FrontierUrl.state == "leased", FrontierUrl.lease_expires_at < now),
        and_(FrontierUrl.state == "done", FrontierUrl.done_at < now - timedelta(seconds=freshness)),
    )


def claim(
    session: Session,
    url_keys: Iterable[str],
    source: str,
    worker: str,
    *,
    lease: float,
    freshness: float,
) -> dict[str, Claim]:
    """Claim what may be fetched of ``url_keys`` for ``worker``; the rest is someone else's,
    fresh, or remembered as not worth fetching again (stored without validators, or gone)."""
    keys = sorted(set(url_keys))
    if not keys:
        return {}
    seen = {
        row.url_key: row
        for row in session.execute(
            select(SeenUrl.url_key, SeenUrl.etag, SeenUrl.last_modified, SeenUrl.status).where(
                SeenUrl.url_key.in_(keys)
            ),
        )
    }
    # As in a one-host crawl: a stored page is asked for again only when it can be asked
    # conditionally (a 304 costs little); a gone one never.
    wanted = [
        key
        for key in keys
        if key not in seen
        or ((seen[key].etag or seen[key].last_modified) and seen[key].status not in GONE)
    ]
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # A claim lost in a database crash costs a refetch, never a page: the store checks
        # the token, and a URL without a recorded lease is claimable again. So the claim's
        # commit need not wait for the disk (the store's does).
        session.execute(text("SET LOCAL synchronous_commit = off"))
    now = now_expr(session)
    # One statement: a new URL is inserted already leased; a known one is taken only when
    # claimable (ON CONFLICT's WHERE sees the stored row, locked). Sorted, so two workers
    # claiming overlapping batches lock rows in one order.
    insert = _insert(session).values(
        [{"url_key": key, "source": source, "state": "leased", "worker": worker, "token": 1,
          "lease_expires_at": now + timedelta(seconds=lease), "attempts": 1}
         for key in wanted]
    )  # fmt: skip
    claimed = session.execute(
        insert.on_conflict_do_update(
            index_elements=["url_key"],
            set_={
                "state": "leased",
                "worker": worker,
                "token": FrontierUrl.token + 1,
                "lease_expires_at": now + timedelta(seconds=lease),
                "attempts": FrontierUrl.attempts + 1,
            },
            where=_claimable(now, freshness),
        ).returning(FrontierUrl.url_key, FrontierUrl.token),
    ).all()
    return {
        key: Claim(
            key,
            token,
            seen[key].etag if key in seen else None,
            seen[key].last_modified if key in seen else None,
        )
        for key, token in claimed
    }


def orphans(session: Session, source: str, limit: int = 1000) -> list[str]:
    """URLs of ``source`` whose worker died holding them (lease run out) or that were never
    taken: a worker crawling the source claims them again even if no listing shows them now."""
    now = db_now(session)
    return list(
        session.scalars(
            select(FrontierUrl.url_key)
            .where(
                FrontierUrl.source == source,
                or_(
                    FrontierUrl.state == "queued",
                    and_(FrontierUrl.state == "leased", FrontierUrl.lease_expires_at < now),
                ),
            )
            .order_by(FrontierUrl.url_key)
            .limit(limit)
        )
    )


def admit(session: Session, worker: str, tokens: Mapping[str, int]) -> set[str]:
    """Of the URLs (url_key → token) about to be stored, those still leased to ``worker``
    under that token and unexpired. Their rows stay locked until the transaction ends, so
    nobody can claim them between this check and :func:`complete`."""
    if not tokens:
        return set()
    now = now_expr(session)
    rows = session.execute(
        select(FrontierUrl.url_key, FrontierUrl.token)
        .where(
            FrontierUrl.url_key.in_(sorted(tokens)),
            FrontierUrl.state == "leased",
            FrontierUrl.worker == worker,
            FrontierUrl.lease_expires_at > now,
        )
        .order_by(FrontierUrl.url_key)
        .with_for_update(),
    ).all()
    return {key for key, token in rows if tokens.get(key) == token}


def complete(session: Session, worker: str, tokens: Mapping[str, int]) -> int:
    """Mark done the admitted URLs (in the transaction that stored their pages)."""
    if not tokens:
        return 0
    return changed_rows(
        session,
        update(FrontierUrl)
        .where(
            tuple_(FrontierUrl.url_key, FrontierUrl.token).in_(sorted(tokens.items())),
            FrontierUrl.worker == worker,
            FrontierUrl.state == "leased",
        )
        .values(state="done", done_at=now_expr(session), worker=None, lease_expires_at=None)
        .execution_options(synchronize_session=False),
    )


def renew(session: Session, worker: str, lease: float) -> int:
    """Extend every unexpired lease of ``worker``; an expired one is gone for good (another
    worker may hold it already), so a worker that wakes from a long pause cannot revive it."""
    now = db_now(session)
    return changed_rows(
        session,
        update(FrontierUrl)
        .where(
            FrontierUrl.worker == worker,
            FrontierUrl.state == "leased",
            FrontierUrl.lease_expires_at > now,
        )
        .values(lease_expires_at=now + timedelta(seconds=lease))
        .execution_options(synchronize_session=False),
    )


def give_back(session: Session, worker: str, url_keys: Iterable[str] | None = None) -> int:
    """Return ``worker``'s leases (all, or those of ``url_keys``) to the queue at once, as a
    draining worker does for what it will not fetch."""
    statement = update(FrontierUrl).where(
        FrontierUrl.worker == worker, FrontierUrl.state == "leased"
    )
    if url_keys is not None:
        statement = statement.where(FrontierUrl.url_key.in_(list(url_keys)))
    return changed_rows(
        session,
        statement.values(state="queued", worker=None, lease_expires_at=None).execution_options(
            synchronize_session=False
        ),
    )
