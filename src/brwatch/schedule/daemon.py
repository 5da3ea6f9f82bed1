"""`brwatch schedule`: the long-running daemon that keeps one APScheduler job per source.

Jobs live in APScheduler's SQLAlchemy job store inside brwatch's own database, so a restarted
scheduler continues the stored schedule and several schedulers can share one database (the
leases in `leases.py` keep them from running a job twice). The main thread only watches: it
reloads the sources file when it changes or on SIGHUP, and on SIGTERM/SIGINT stops cleanly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.util import astimezone
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from brwatch.cluster.jobs import settle_expired
from brwatch.cluster.locks import SCHEDULER_LOCK, AdvisoryLock
from brwatch.cluster.redis_link import connect_redis
from brwatch.errors import BrwatchError
from brwatch.schedule import heartbeats, jobs
from brwatch.schedule.leases import LeaseBook
from brwatch.schedule.monitor import clear_flags
from brwatch.schedule.records import close_vanished_runs
from brwatch.schedule.settings import SchedulerSettings
from brwatch.schedule.triggers import build_trigger, period_seconds
from brwatch.sources import Source, SourcesError, TriggerSpec, load_sources, parse_schedule
from brwatch.storage import Database
from brwatch.storage.articles import settle_orphaned_runs

log = logging.getLogger(__name__)
JOB_TABLE = "apscheduler_jobs"
MAINTENANCE_TASKS = ("attribution_recheck", "rights_recheck", "notifications")
# Seconds APScheduler waits before asking an unreachable job store again.
JOBSTORE_RETRY_SECONDS = 5
# Seconds between a standby's tries of the scheduler lock (and the active one's checks of it).
LOCK_TICK = 1.0


class _Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus one shutdown race and one fatal outage.

    APScheduler 3 may run one more round of job processing after ``shutdown`` marked it stopped
    and closed its executors, and logs a traceback for every due job it cannot hand over. A
    scheduler that is not running processes nothing.

    APScheduler 3 retries a job store that fails while handing out due jobs, but not one that
    fails when asked for its next run time: that error escapes and kills the scheduler thread,
    leaving a daemon that is alive and never fires again. A failed round is retried instead.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        try:
            return super()._process_jobs()
        except Exception as error:  # any job-store failure is retried, never fatal
            log.warning(
                "job store unavailable (%s); retrying in %ss",
                str(error).splitlines()[0] if str(error) else type(error).__name__,
                JOBSTORE_RETRY_SECONDS,
            )
            return JOBSTORE_RETRY_SECONDS


class ScheduleSetupError(BrwatchError):
    """The scheduler cannot start: bad settings or a bad sources file. The message says which."""


@dataclass(frozen=True)
class WantedJob:
    job_id: str
    func: str
    executor: str
    kwargs: dict[str, str]
    spec: TriggerSpec
    # New crawl jobs fire at once, so a source added to the file is crawled without waiting.
    start_now: bool


class SchedulerDaemon:
    def __init__(
        self,
        db: Database,
        sources_path: Path,
        settings: SchedulerSettings,
        redis_url: str | None = None,
    ) -> None:
        self.db = db
        self.sources_path = sources_path
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._check_settings()
        self.sources = self._load_sources_or_fail()
        self._file_state = self._sources_file_state()
        self._wake = threading.Event()
        self._stop_signals = 0
        self._reload_requested = False
        self.runtime = jobs.Runtime(
            db=db,
            settings=settings,
            leases=LeaseBook(db, self.owner, settings.lease_ttl),
            child_env={
                **os.environ,
                "BRWATCH_DB_URL": db.url,
                "BRWATCH_SOURCES": str(sources_path),
                "PYTHONUNBUFFERED": "1",
            },
        )
        # On many hosts (--redis): crawls are queued for workers, and only the holder of a
        # PostgreSQL advisory lock runs the schedule; the others stand by and take over when
        # its connection goes (it died or was cut off), within a tick.
        self.leader: AdvisoryLock | None = None
        self.leading = False
        if redis_url is not None:
            self.leader = AdvisoryLock(db, SCHEDULER_LOCK, "scheduler")
            connect_redis(redis_url)  # a Redis that does not answer is an error at start
            self.runtime.enqueue_as = self.owner
        self.job_store = SQLAlchemyJobStore(engine=db.engine, tablename=JOB_TABLE)
        self.scheduler = _Scheduler(
            jobstores={"default": self.job_store},
            # Separate pools: recurring rechecks never take a crawl's slot, nor crawls theirs.
            executors={
                "crawls": ThreadPoolExecutor(settings.max_parallel_crawls),
                "maintenance": ThreadPoolExecutor(len(MAINTENANCE_TASKS)),
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(settings.misfire_grace_time) or None,
            },
            timezone=settings.timezone,
            jobstore_retry_interval=JOBSTORE_RETRY_SECONDS,
        )

    # --- setup -------------------------------------------------------------------------------

    def _check_settings(self) -> None:
        """Refuse bad settings at start, naming the setting, rather than when a job first fires."""
        settings = self.settings
        checks: list[tuple[str, Callable[[], object]]] = [
            ("timezone", lambda: astimezone(settings.timezone)),
            ("default_schedule", lambda: parse_schedule(settings.default_schedule)),
            ("crawl_command", lambda: jobs.command_argv(settings.crawl_command, source="x")),
        ]
        for task in MAINTENANCE_TASKS:
            every, command = (
                getattr(settings, f"{task}_every"),
                getattr(settings, f"{task}_command"),
            )
            if every != "off":
                checks.append((f"{task}_every", partial(parse_schedule, every)))
                checks.append((f"{task}_command", partial(jobs.command_argv, command)))
        for name, check in checks:
            try:
                check()
            except Exception as exc:  # zoneinfo, parse and template errors all mean "bad value"
                raise ScheduleSetupError(f"bad scheduler setting {name}: {exc}") from exc
        self.default_spec = parse_schedule(settings.default_schedule)

    def _load_sources_or_fail(self) -> list[Source]:
        try:
            return load_sources(self.sources_path)
        except SourcesError as exc:
            raise ScheduleSetupError(f"sources file refused:\n{exc}") from exc

    def wanted_jobs(self, sources: list[Source]) -> dict[str, WantedJob]:
        wanted: dict[str, WantedJob] = {}
        for source in sources:
            text = source.schedule or self.settings.default_schedule
            spec = source.trigger_spec or self.default_spec
            job_id = jobs.CRAWL_PREFIX + source.name
            wanted[job_id] = WantedJob(
                job_id,
                "brwatch.schedule.jobs:crawl_source",
                "crawls",
                {"source": source.name, "signature": self._signature(text)},
                spec,
                start_now=spec.kind == "interval",
            )
        for task in MAINTENANCE_TASKS:
            text = getattr(self.settings, f"{task}_every")
            if text != "off":
                job_id = jobs.MAINTENANCE_PREFIX + task
                wanted[job_id] = WantedJob(
                    job_id,
                    "brwatch.schedule.jobs:maintenance",
                    "maintenance",
                    {"task": task, "signature": self._signature(text)},
                    parse_schedule(text),
                    start_now=False,
                )
        return wanted

    def _signature(self, schedule: str) -> str:
        """What a stored job must match to be kept as is (its next fire time survives restarts)."""
        return f"{schedule} | jitter {self.settings.jitter:g}s | {self.settings.timezone}"

    # --- keeping the job store in step with the sources file ---------------------------------

    def sync_jobs(self, sources: list[Source]) -> dict[str, list[str]]:
        wanted = self.wanted_jobs(sources)
        changes: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
        stored = {job.id: job for job in self.scheduler.get_jobs()}
        for job_id in stored.keys() - wanted.keys():
            if job_id.startswith((jobs.CRAWL_PREFIX, jobs.MAINTENANCE_PREFIX)):
                with contextlib.suppress(JobLookupError):  # another scheduler removed it first
                    self.scheduler.remove_job(job_id)
                changes["removed"].append(job_id)
        now = datetime.now(self.scheduler.timezone)
        for job_id, job in wanted.items():
            self.runtime.periods[job_id] = period_seconds(job.spec, self.settings.timezone)
            existing = stored.get(job_id)
            if existing is not None and existing.kwargs.get("signature") == job.kwargs["signature"]:
                continue
            options: dict[str, Any] = {}
            if existing is None and job.start_now:
                options["next_run_time"] = now
            try:
                self.scheduler.add_job(
                    job.func,
                    executor=job.executor,
                    id=job_id,
                    name=job_id,
                    kwargs=job.kwargs,
                    trigger=build_trigger(job.spec, self.settings.timezone, self.settings.jitter),
                    replace_existing=existing is not None,
                    **options,
                )
            except ConflictingIdError:
                continue  # another scheduler sharing the database added it a moment ago
            changes["changed" if existing is not None else "added"].append(job_id)
        return changes

    def _create_job_table(self) -> None:
        """Create APScheduler's table, tolerating another scheduler creating it at the same time."""
        try:
            self.job_store.jobs_t.create(self.db.engine, checkfirst=True)
        except DBAPIError:
            # The race shows as IntegrityError/ProgrammingError on PostgreSQL and as
            # OperationalError ("already exists") on SQLite; only a table now present excuses it.
            if not inspect(self.db.engine).has_table(JOB_TABLE):
                raise
            log.info("job table %s was created by another scheduler meanwhile", JOB_TABLE)

    def _sources_file_state(self) -> tuple[int, int] | None:
        try:
            stat = self.sources_path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def reload_if_changed(self) -> None:
        """Bring the jobs in line with an edited file (or on SIGHUP). A refused file is reported
        once and the jobs stay; a database error leaves the edit pending for the next tick."""
        state = self._sources_file_state()
        if not self._reload_requested and state == self._file_state:
            return
        try:
            sources = load_sources(self.sources_path)
        except SourcesError as exc:
            self._reload_requested, self._file_state = False, state
            log.error(
                "sources file %s refused; keeping the current jobs:\n%s", self.sources_path, exc
            )
            return
        gone = {s.name for s in self.sources} - {s.name for s in sources}
        changes = self.sync_jobs(sources)
        clear_flags(self.db, gone)
        self.sources = sources
        self._reload_requested, self._file_state = False, state
        log.info(
            "sources reloaded from %s: %d sources; added %s, removed %s, changed %s",
            self.sources_path,
            len(sources),
            *(", ".join(changes[key]) or "none" for key in ("added", "removed", "changed")),
        )

    # --- running and stopping ----------------------------------------------------------------

    def _on_stop_signal(self, signum: int, _frame: object) -> None:
        self._stop_signals += 1
        if self._stop_signals > 1:
            self.runtime.stop_now = True  # asked twice: stop the running crawls now
        self._wake.set()

    def _on_hangup(self, _signum: int, _frame: object) -> None:
        self._reload_requested = True
        self._wake.set()

    def run(self) -> int:
        jobs.install(self.runtime)
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_hangup)
        vanished = close_vanished_runs(self.db)
        if vanished:
            log.warning("runs %s were left running by vanished processes: marked failed", vanished)
        self._create_job_table()
        # Paused until the job store matches the sources file, so nothing stale fires first.
        self.scheduler.start(paused=True)
        if self.leader is None:
            self._take_the_lead()
        else:
            log.info("scheduler %s started as a standby (on many hosts)", self.owner)
        last_beat = -heartbeats.BEAT_EVERY
        while not self._stop_signals:
            try:
                self._follow_the_lock()
                if time.monotonic() - last_beat >= heartbeats.BEAT_EVERY:
                    state = "active" if self.leading else "standby"
                    heartbeats.beat(self.db, self.owner, "scheduler", current_source=state)
                    last_beat = time.monotonic()
            except Exception:  # a lost database shows as a missed beat, never a dead daemon
                log.warning("scheduler heartbeat not recorded", exc_info=True)
            tick = min(self.settings.reload_interval, heartbeats.BEAT_EVERY)
            self._wake.wait(tick if self.leader is None else min(tick, LOCK_TICK))
            self._wake.clear()
            if self._stop_signals:
                break
            if not self.leading:
                continue
            try:
                if self.leader is not None:
                    with self.db.session() as session:
                        dead = settle_expired(session)  # workers that died holding a job
                    if dead:
                        log.warning("jobs %s: their workers stopped renewing; requeued", dead)
                self.reload_if_changed()
                with self.runtime.db.session() as session:
                    # Crawls on this host killed outright; not those a job here still watches.
                    settle_orphaned_runs(session, spare=frozenset(self.runtime.running_children))
                # Another scheduler may have changed the shared job store: look again.
                self.scheduler.wakeup()
            except Exception:  # a lost database must not end the daemon; the next tick retries
                log.exception(
                    "scheduler upkeep failed; retrying in %.0fs", self.settings.reload_interval
                )
        return self.stop()

    def _take_the_lead(self) -> None:
        changes = self.sync_jobs(self.sources)
        self.scheduler.resume()
        self.leading = True
        log.info(
            # One host: "started", as always; many hosts: this one became the active scheduler.
            "scheduler %s %s: %d sources from %s; jobs added: %s; changed: %s; removed: %s",
            self.owner,
            "started" if self.leader is None else "active",
            len(self.sources),
            self.sources_path,
            *(", ".join(changes[key]) or "none" for key in ("added", "changed", "removed")),
        )

    def _follow_the_lock(self) -> None:
        """On many hosts: become active when the lock is free, stand by when it is lost."""
        if self.leader is None:
            return
        if self.leading and not self.leader.held():
            self.leading = False
            self.scheduler.pause()
            log.warning("scheduler %s lost the lock (database connection): standing by", self.owner)
        elif not self.leading and self.leader.try_acquire():
            self.sources = self._load_sources_or_fail()
            self._take_the_lead()

    def stop(self) -> int:
        """No new jobs; running crawls get the grace period, then are stopped. Exit status 0."""
        log.info(
            "stopping: no new jobs; running crawls get %.0fs to finish", self.settings.stop_grace
        )
        self.runtime.stop_requested_at = time.monotonic()
        self.scheduler.pause()
        # A round of job processing already under way holds this lock; let it end before the
        # executor closes, or it would hand a job to a closed executor.
        with self.scheduler._jobstores_lock:
            pass
        self.scheduler.shutdown(wait=True)
        jobs.install(None)
        with contextlib.suppress(Exception):  # stale, it would only read as a dead scheduler
            heartbeats.forget(self.db, self.owner)
        if self.leader is not None:
            self.leader.release()
        log.info("scheduler %s stopped", self.owner)
        return 0


@dataclass(frozen=True)
class StoredJob:
    job_id: str
    schedule: str
    next_run: datetime | None


def stored_jobs(db: Database) -> list[StoredJob]:
    """The jobs in the shared job store with their next fire time, without running anything."""
    if not inspect(db.engine).has_table(JOB_TABLE):
        return []
    store = SQLAlchemyJobStore(engine=db.engine, tablename=JOB_TABLE)
    return [
        StoredJob(job.id, job.kwargs.get("signature", str(job.trigger)), job.next_run_time)
        for job in store.get_all_jobs()
    ]


def run_scheduler(
    db: Database, sources_path: Path, settings: SchedulerSettings, redis_url: str | None = None
) -> int:
    """Run the scheduler until SIGTERM/SIGINT; raises ScheduleSetupError on a bad start.
    With ``redis_url`` (many hosts), crawls are queued for `brwatch worker` processes."""
    return SchedulerDaemon(db, sources_path, settings, redis_url).run()
