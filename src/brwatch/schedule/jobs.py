"""What a scheduled job does when it fires: take the job's lease, run the child, record the run.

APScheduler stores jobs by reference (``brwatch.schedule.jobs:crawl_source``) with plain-text
arguments, so the job store can be shared and outlive the process; everything live (database,
settings, the stop request) sits in the process-wide `Runtime` the daemon installs.
"""

from __future__ import annotations

import importlib.util
import logging
import shlex
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from brwatch.schedule.children import ChildResult, run_child
from brwatch.schedule.leases import LeaseBook
from brwatch.schedule.monitor import evaluate_source
from brwatch.schedule.records import newest_run_id, runs_of_child, settle_runs
from brwatch.schedule.retry import with_db_retry
from brwatch.schedule.settings import SchedulerSettings
from brwatch.storage import Database
from brwatch.storage.models import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
CRAWL_PREFIX = "crawl:"
MAINTENANCE_PREFIX = "maintenance:"
# Seconds between looks at the database while a child runs (lease renewal, run discovery).
WATCH_EVERY = 2.0


@dataclass
class Runtime:
    db: Database
    settings: SchedulerSettings
    leases: LeaseBook
    child_env: Mapping[str, str]
    # Shortest gap between two fires of each job, for the lease's duplicate-fire guard.
    periods: dict[str, float] = field(default_factory=dict)
    stop_requested_at: float | None = None
    stop_now: bool = False
    # On many hosts: a due crawl is queued for `brwatch worker` processes, not run here.
    enqueue_as: str | None = None
    # Pids of the crawl children running now: their runs are settled by the job that watches
    # them (with how they ended), never by the orphan sweep, even the moment one has exited.
    running_children: set[int] = field(default_factory=set)

    def shutdown_reason(self) -> str | None:
        """Why children must stop for a shutdown: its grace is over, or a second signal came."""
        if self.stop_now:
            return "stopped"
        if self.stop_requested_at is None:
            return None
        grace_over = time.monotonic() >= self.stop_requested_at + self.settings.stop_grace
        return "stopped" if grace_over else None

    def retrying(self, what: str, operation: Callable[[], T]) -> T:
        return with_db_retry(what, operation, self.settings.db_retry_for)


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def command_argv(template: str, **values: str) -> list[str]:
    """A command template from the settings as argv; raises ValueError naming a bad placeholder."""
    try:
        return [part.format(python=sys.executable, **values) for part in shlex.split(template)]
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"bad command {template!r}: {exc!r} (placeholders: {{python}}, {{source}})"
        ) from exc


def crawl_source(source: str, signature: str = "") -> None:
    """The job of one source: one crawl in a child process, its run recorded, the source judged."""
    runtime = _runtime
    if runtime is None or runtime.stop_requested_at is not None:
        return  # shutting down: take no new work
    if runtime.enqueue_as is not None:
        _under_lease(runtime, CRAWL_PREFIX + source, lambda: _enqueue(runtime, source))
        return
    _under_lease(runtime, CRAWL_PREFIX + source, lambda: _crawl(runtime, source))


def _enqueue(runtime: Runtime, source: str) -> None:
    from brwatch.cluster import jobs as queue

    def add() -> bool:
        with runtime.db.session() as session:
            return queue.enqueue(session, source, runtime.enqueue_as or "scheduler")

    if runtime.retrying("queue the crawl", add):
        log.info("crawl of %s queued for the workers", source)
    else:
        log.info("crawl of %s not queued: one is still queued or running", source)


def _crawl(runtime: Runtime, source: str) -> None:
    settings = runtime.settings
    argv = command_argv(settings.crawl_command, source=source)
    baseline = runtime.retrying("read the run history", lambda: newest_run_id(runtime.db))
    launched_at = utcnow()
    watch = _ChildWatch(runtime, CRAWL_PREFIX + source, source, baseline)
    log.info("crawl of %s starting: %s", source, shlex.join(argv))
    started: list[int] = []

    def on_start(pid: int) -> None:
        started.append(pid)
        runtime.running_children.add(pid)

    try:
        result = run_child(
            argv,
            env=runtime.child_env,
            time_limit=settings.crawl_time_limit,
            kill_grace=settings.kill_grace,
            tail_chars=settings.log_tail_chars,
            stop_reason=watch.stop_reason,
            on_start=on_start,
            on_tick=watch.tick,
        )
        owned = watch.runs | runtime.retrying(
            "find the run", lambda: runs_of_child(runtime.db, source, baseline, result.pid)
        )
        run_ids = runtime.retrying(
            "record the run", lambda: settle_runs(runtime.db, source, owned, result, launched_at)
        )
    finally:
        runtime.running_children.difference_update(started)
    _log_ending(f"crawl of {source}", result, run_ids)
    runtime.retrying(
        "update the source's flags", lambda: evaluate_source(runtime.db, source, settings)
    )


def maintenance(task: str, signature: str = "") -> None:
    """A recurring task other than crawling (attribution recheck, rights re-evaluation)."""
    runtime = _runtime
    if runtime is None or runtime.stop_requested_at is not None:
        return
    template = getattr(runtime.settings, f"{task}_command")
    argv = command_argv(template)
    missing = missing_verb(argv)
    if missing:
        log.warning("%s skipped: this installation has no `brwatch %s` command", task, missing)
        return
    job_id = MAINTENANCE_PREFIX + task

    def work() -> None:
        watch = _ChildWatch(runtime, job_id)
        log.info("%s starting: %s", task, shlex.join(argv))
        result = run_child(
            argv,
            env=runtime.child_env,
            time_limit=runtime.settings.maintenance_time_limit,
            kill_grace=runtime.settings.kill_grace,
            tail_chars=runtime.settings.log_tail_chars,
            stop_reason=watch.stop_reason,
            on_tick=watch.tick,
        )
        _log_ending(task, result, [])

    _under_lease(runtime, job_id, work)


def missing_verb(argv: list[str]) -> str | None:
    """The brwatch verb a ``python -m brwatch.cli VERB`` command names, if it is not installed."""
    argv = [part for part in argv if part != "-P"]
    if len(argv) >= 4 and argv[1:3] == ["-m", "brwatch.cli"]:
        verb = argv[3]
        if importlib.util.find_spec(f"brwatch.cli.{verb.replace('-', '_')}") is None:
            return verb
    return None


class _ChildWatch:
    """Looks after a running child: renews its job's lease and notes the runs it records.

    Each look is one quick attempt: a lost database must not hold up the loop that enforces
    the child's time limit (the lease outlasts a few missed renewals).
    """

    def __init__(
        self, runtime: Runtime, job_id: str, source: str | None = None, baseline: int = 0
    ) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.source = source
        self.baseline = baseline
        self.runs: set[int] = set()
        self.lease_lost = False
        self.renew_every = max(runtime.settings.lease_ttl / 4, 0.5)
        self.last_renewal = self.last_look = time.monotonic()

    def stop_reason(self) -> str | None:
        return "lease_lost" if self.lease_lost else self.runtime.shutdown_reason()

    def tick(self, pid: int) -> None:
        now = time.monotonic()
        try:
            if now - self.last_renewal >= self.renew_every:
                self.last_renewal = now
                if not self.runtime.leases.renew(self.job_id):
                    # Our renewals failed past the lease's life and another scheduler has the
                    # job now: stop, or the source would be crawled twice at once.
                    log.error("%s: lease taken over by another scheduler; stopping", self.job_id)
                    self.lease_lost = True
            if self.source and now - self.last_look >= WATCH_EVERY:
                self.last_look = now
                # Found while the child lives, so runs of processes in its group can be told apart.
                self.runs |= runs_of_child(self.runtime.db, self.source, self.baseline, pid)
        except Exception as exc:
            log.warning("%s: database unavailable while watching the child: %s", self.job_id, exc)


def _under_lease(runtime: Runtime, job_id: str, work: Callable[[], None]) -> None:
    """Do ``work`` holding the job's lease; failures are logged, never raised to APScheduler."""
    try:
        if not _claim(runtime, job_id):
            return
        try:
            work()
        finally:
            _release(runtime, job_id)
    except Exception:
        log.exception("%s: the scheduler could not complete its bookkeeping", job_id)


def _claim(runtime: Runtime, job_id: str) -> bool:
    min_gap = runtime.periods.get(job_id, 0.0) / 2
    if runtime.retrying("take the job's lease", lambda: runtime.leases.claim(job_id, min_gap)):
        return True
    log.info("%s: skipped, another scheduler is running it or has just run it", job_id)
    return False


def _release(runtime: Runtime, job_id: str) -> None:
    runtime.retrying("release the job's lease", lambda: runtime.leases.release(job_id))


def _log_ending(what: str, result: ChildResult, run_ids: list[int]) -> None:
    runs = f" (run {', '.join(map(str, run_ids))})" if run_ids else ""
    if result.ending == "time_limit":
        log.error("%s killed at its time limit after %.1fs%s", what, result.seconds, runs)
    elif result.ending in ("stopped", "lease_lost"):
        log.warning("%s stopped (%s) after %.1fs%s", what, result.ending, result.seconds, runs)
    elif result.crashed:
        log.error(
            "%s failed with exit status %s%s; log tail:\n%s",
            what,
            result.returncode,
            runs,
            result.log_tail[-1000:],
        )
    else:
        log.info("%s finished in %.1fs%s", what, result.seconds, runs)
