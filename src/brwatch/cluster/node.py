"""A `brwatch worker` process's place in the cluster: joining (checks), its heartbeat and
lease renewals, and taking and closing crawl jobs with their run records.

Joining refuses, with a message naming what is wrong: a database that is not PostgreSQL or
whose schema is older or newer than this release; a Redis that does not answer; a worker id
another live worker holds (an advisory lock on the id, released when that worker dies).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.exc import DBAPIError

from brwatch.cluster import frontier, jobs
from brwatch.cluster.jobs import ClaimedJob
from brwatch.cluster.leases import UrlLeases, through_outage
from brwatch.cluster.locks import WORKER_LOCK, AdvisoryLock, ClusterError
from brwatch.cluster.redis_link import connect_redis
from brwatch.cluster.schema import check_schema
from brwatch.schedule import heartbeats
from brwatch.storage import Database, DatabaseError, open_database
from brwatch.storage.articles import finish_run, start_run

log = logging.getLogger(__name__)
WORKER_ROLE = "worker"


@dataclass(frozen=True)
class WorkerSettings:
    # Seconds a job or URL lease lasts without renewal; renewed every third of it.
    lease: float = 60.0
    # Seconds after a URL was fetched during which no worker fetches it again.
    freshness: float = 6 * 3600.0
    # Seconds between looks for a due job when there is none.
    poll: float = 1.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class RunningJob:
    """A job this worker crawls now: its run, its URL leases, and how to stop its crawl."""

    job: ClaimedJob
    run_id: int
    leases: UrlLeases
    on_lost: Callable[[], None] | None = None


class WorkerNode:
    def __init__(
        self,
        db: Database,
        redis_client: redis.Redis,
        worker_id: str,
        settings: WorkerSettings,
        lock: AdvisoryLock,
    ) -> None:
        self.db = db
        self.redis = redis_client
        self.worker_id = worker_id
        self.settings = settings
        self.lock = lock
        self.running: dict[int, RunningJob] = {}
        self.on_id_lost: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @classmethod
    def join(
        cls, db_url: str, redis_url: str, worker_id: str | None, settings: WorkerSettings
    ) -> WorkerNode:
        worker_id = worker_id or default_worker_id()
        db = open_database(db_url, migrate=False)
        try:
            check_schema(db)
        except DBAPIError as exc:
            raise DatabaseError(f"cannot reach database {db.display_url}: {exc.orig}") from exc
        except ClusterError:
            db.dispose()
            raise
        client = connect_redis(redis_url)
        lock = AdvisoryLock(db, WORKER_LOCK, worker_id)
        if not lock.try_acquire():
            db.dispose()
            raise ClusterError(f"another live worker already runs as --worker-id {worker_id!r}")
        node = cls(db, client, worker_id, settings, lock)
        node.beat()
        return node

    # -- liveness ----------------------------------------------------------------------------

    def beat(self) -> None:
        sources = sorted({running.job.source for running in list(self.running.values())})
        heartbeats.beat(
            self.db, self.worker_id, WORKER_ROLE, current_source=", ".join(sources)[:100] or None
        )

    def start_renewing(self) -> None:
        self._renewer = threading.Thread(target=self._renew_loop, name="leases", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        every = self.settings.lease / 3
        while not self._stop.wait(every):
            self.renew_once()

    def renew_once(self) -> None:
        """Renew the jobs' and the URLs' leases and beat; a lost job stops its crawl. The id's
        lock went with a dropped connection: it is taken again (or, if another worker took the
        id meanwhile, this one drains)."""
        try:
            if not self.lock.held() and not self.lock.try_acquire():
                log.error("another worker took the id %r while the database was away; leaving",
                          self.worker_id)  # fmt: skip
                if self.on_id_lost is not None:
                    self.on_id_lost()
            for running in list(self.running.values()):
                job = running.job
                with self.db.session() as session:
                    held = jobs.renew(session, job, self.worker_id, self.settings.lease)
                if not held:
                    log.error("job %s (%s): lease lost; stopping its crawl", job.id, job.source)
                    if running.on_lost is not None:
                        running.on_lost()
            if self.running:
                with self.db.session() as session:
                    frontier.renew(session, self.worker_id, self.settings.lease)
            self.beat()
        except DBAPIError as exc:  # the database is away: leases outlast a few missed renewals
            log.warning("cannot renew leases: %s", exc.orig or exc)
        except Exception:  # e.g. no pooled connection free in time: the next round tries again
            log.exception("cannot renew leases")

    # -- jobs --------------------------------------------------------------------------------

    def next_job(self) -> RunningJob | None:
        """Claim a due job and open its run, or None. A database error is None too (logged):
        the worker waits and asks again."""
        try:
            with self.db.session() as session:
                job = jobs.claim(session, self.worker_id, self.settings.lease)
                if job is None:
                    return None
                run = start_run(session, job.source, "schedule")
                jobs.attach_run(session, job, self.worker_id, run.id)
        except DBAPIError as exc:
            log.warning("cannot look for jobs: %s", exc.orig or exc)
            return None
        leases = UrlLeases(self.db, self.worker_id, self.settings.lease, self.settings.freshness)
        running = self.running[job.id] = RunningJob(job, run.id, leases)
        log.info("job %s: crawling %s (run %s)", job.id, job.source, run.id)
        return running

    def close_job(
        self, running: RunningJob, status: str, counts: dict[str, Any], *, drained: bool
    ) -> None:
        """:meth:`record_end`, waiting for a database that is away (up to ten minutes; past
        that the lease runs out and the job's next worker records the run killed). URL leases
        of the job not used (pages dropped or failed) go back to the queue either way."""
        through_outage(lambda: self.record_end(running, status, counts, drained=drained),
                       "close the job", limit=600)  # fmt: skip
        self.running.pop(running.job.id, None)
        given = through_outage(running.leases.give_back, "give back URL leases", limit=600)
        if given:
            log.info("job %s: %d URL leases given back", running.job.id, given)

    def record_end(
        self, running: RunningJob, status: str, counts: dict[str, Any], *, drained: bool
    ) -> None:
        """Record the run and close the job: done, or back to the queue when draining."""
        job = running.job
        stats = {k: v for k, v in counts.items() if k not in ("pages", "items", "errors")}
        stats["worker"] = self.worker_id
        with self.db.session() as session:
            if drained:
                held = jobs.give_back(session, job, self.worker_id)
            else:
                state = "failed" if status == "failed" else "done"
                held = jobs.finish(session, job, self.worker_id, state)
            if not held:
                # Paused or cut off past the lease: the job went to another worker, and this
                # run was recorded killed when it did; what it tried to store was refused.
                log.error("job %s: lease lost before it ended (another worker has it)", job.id)
                stats["lease_lost"] = True
            finish_run(
                session,
                running.run_id,
                "killed" if drained or not held else status,
                pages=int(counts.get("pages", 0)),
                errors=dict(counts.get("errors", {})),
                stats=stats,
            )

    def leave(self) -> None:
        self._stop.set()
        with contextlib.suppress(DBAPIError):
            heartbeats.forget(self.db, self.worker_id)
        self.lock.release()
        self.db.dispose()
