"""The crawl-job queue: the active scheduler enqueues, workers claim with
``FOR UPDATE SKIP LOCKED`` under a lease with a fencing token.

A worker that dies holding a job lets its lease run out; the next worker looking for work
records the dead worker's run ``killed`` and takes the job again (up to MAX_ATTEMPTS claims).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brwatch.cluster.clock import db_now
from brwatch.storage.database import changed_rows
from brwatch.storage.models import CrawlJob, CrawlRun

JOB_STATES = ("queued", "leased", "done", "failed", "given_up")
# A job whose workers died this many times is not handed out again (it would kill the next).
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    source: str
    token: int
    attempts: int


def enqueue(session: Session, source: str, by: str, due_at: datetime | None = None) -> bool:
    """Queue a crawl of ``source``; False when one is already pending (queued or running), so a
    second scheduler enqueueing the same fire changes nothing."""
    now = db_now(session)
    try:
        with session.begin_nested():
            session.add(
                CrawlJob(
                    source=source,
                    state="queued",
                    due_at=due_at or now,
                    enqueued_at=now,
                    enqueued_by=by,
                    token=0,
                    attempts=0,
                )
            )
    except IntegrityError:
        return False
    return True


def _expired(now: datetime):  # type: ignore[no-untyped-def]
    return and_(CrawlJob.state == "leased", CrawlJob.lease_expires_at < now)


def settle_expired(session: Session) -> list[int]:
    """Jobs whose worker's lease ran out: their runs are recorded ``killed`` and the jobs go
    back to the queue (or are given up after MAX_ATTEMPTS). Returns the job ids."""
    now = db_now(session)
    expired = list(
        session.scalars(select(CrawlJob).where(_expired(now)).with_for_update(skip_locked=True))
    )
    for job in expired:
        _record_killed(session, job, now)
        job.state = "queued" if job.attempts < MAX_ATTEMPTS else "given_up"
        job.worker, job.lease_expires_at = None, None
        if job.state == "given_up":
            job.finished_at = now
    session.flush()
    return [job.id for job in expired]


def _record_killed(session: Session, job: CrawlJob, now: datetime) -> None:
    if job.run_id is None:
        return
    run = session.get(CrawlRun, job.run_id)
    if run is not None and run.status == "running":
        run.status = "killed"
        run.finished_at = now
        note = f"worker {job.worker} stopped renewing its lease: killed, crashed or cut off"
        run.log_tail = "\n".join(part for part in (run.log_tail, note) if part)


def claim(session: Session, worker: str, lease: float) -> ClaimedJob | None:
    """The oldest due job for ``worker``, or None. Jobs other workers are claiming at this
    moment are skipped, not waited for."""
    settle_expired(session)
    now = db_now(session)
    job = session.scalars(
        select(CrawlJob)
        .where(CrawlJob.state == "queued", CrawlJob.due_at <= now)
        .order_by(CrawlJob.due_at, CrawlJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    job.state, job.worker = "leased", worker
    job.token += 1
    job.attempts += 1
    job.lease_expires_at = now + timedelta(seconds=lease)
    session.flush()
    return ClaimedJob(job.id, job.source, job.token, job.attempts)


def _held(job: ClaimedJob, worker: str, now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        CrawlJob.id == job.id,
        CrawlJob.token == job.token,
        CrawlJob.worker == worker,
        CrawlJob.state == "leased",
        CrawlJob.lease_expires_at > now,
    )


def attach_run(session: Session, job: ClaimedJob, worker: str, run_id: int) -> bool:
    now = db_now(session)
    statement = update(CrawlJob).where(_held(job, worker, now)).values(run_id=run_id)
    return changed_rows(session, statement) == 1


def renew(session: Session, job: ClaimedJob, worker: str, lease: float) -> bool:
    """Extend the job's lease; False when it was lost (expired, or another worker has it)."""
    now = db_now(session)
    statement = update(CrawlJob).where(_held(job, worker, now))
    lease_until = now + timedelta(seconds=lease)
    return changed_rows(session, statement.values(lease_expires_at=lease_until)) == 1


def finish(session: Session, job: ClaimedJob, worker: str, state: str = "done") -> bool:
    """Close the job, only if it is still this worker's (its token unchanged, lease unexpired)."""
    if state not in ("done", "failed"):
        raise ValueError(f"a worker finishes a job as done or failed, not {state!r}")
    now = db_now(session)
    statement = update(CrawlJob).where(_held(job, worker, now))
    values = {"state": state, "finished_at": now, "lease_expires_at": None}
    return changed_rows(session, statement.values(**values)) == 1


def give_back(session: Session, job: ClaimedJob, worker: str) -> bool:
    """Return an unfinished job to the queue at once (a draining worker), not counting the
    claim as an attempt."""
    now = db_now(session)
    statement = update(CrawlJob).where(_held(job, worker, now))
    values = {
        "state": "queued",
        "worker": None,
        "lease_expires_at": None,
        "attempts": CrawlJob.attempts - 1,
    }
    return changed_rows(session, statement.values(**values)) == 1


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queued: int
    leased: int
    due: int


def depth(session: Session) -> QueueDepth:
    now = db_now(session)
    rows = session.execute(
        select(CrawlJob.state, func.count())
        .where(CrawlJob.state.in_(("queued", "leased")))
        .group_by(CrawlJob.state)
    ).all()
    counts: dict[str, int] = {state: n for state, n in rows}
    due = session.scalar(
        select(func.count())
        .select_from(CrawlJob)
        .where(or_(and_(CrawlJob.state == "queued", CrawlJob.due_at <= now), _expired(now)))
    )
    return QueueDepth(counts.get("queued", 0), counts.get("leased", 0), int(due or 0))
