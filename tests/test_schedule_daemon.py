"""`brwatch schedule` as a real process: runs on time and recorded, hung and crashing crawls,
no overlap, sources edits, clean stops, two schedulers on one database, restarts.

Crawls are a small stand-in command (the scheduler's documented `crawl_command` setting) that
records its run the way `brwatch crawl` does and fetches a page from a site on loopback; what it
does per source is read from a control file, so a test can make it hang, crash or dawdle.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from brwatch.schedule import daemon, stored_jobs
from brwatch.schedule.settings import DEFAULT_CRAWL_COMMAND
from brwatch.storage import Database
from brwatch.storage.models import CrawlRun, SchedulerLease
from tests.conftest import BACKENDS, PG_ADMIN_URL
from tests.sites import Page

FAKE_CRAWL = r"""
import json, os, sys, time, urllib.request
from brwatch.storage import open_database
from brwatch.storage.articles import add_run_items, finish_run, start_run

source = sys.argv[1]
control = json.loads(open(os.environ["FAKE_CRAWL_CONTROL"]).read()).get(source, {})
mode = control.get("mode", "ok")
print(f"crawling {source} mode={mode}", flush=True)
if mode == "crash_early":
    raise SystemExit("boom before any run was recorded")
db = open_database()
with db.session() as session:
    run_id = start_run(session, source, "schedule").id
if mode == "crash":
    raise RuntimeError("boom in the middle of the crawl")
if mode == "hang":
    time.sleep(3600)
body = urllib.request.urlopen(control["url"], timeout=10).read()
time.sleep(control.get("seconds", 0))
with db.session() as session:
    add_run_items(session, run_id, body.count(b"<a "))
    finish_run(session, run_id, "ok", pages=1, errors={})
print(f"done {source}", flush=True)
"""
LISTING = "<html><body><a href='/1'>one</a> <a href='/2'>two</a></body></html>"
# Settings every test scheduler gets: no jitter, quick reloads, quick kills.
FAST = {
    "BRWATCH_SCHEDULE_JITTER": "0",
    "BRWATCH_SCHEDULE_RELOAD_INTERVAL": "0.3",
    "BRWATCH_SCHEDULE_KILL_GRACE": "2",
    "BRWATCH_SCHEDULE_ATTRIBUTION_RECHECK_EVERY": "off",
    "BRWATCH_SCHEDULE_RIGHTS_RECHECK_EVERY": "off",
    "BRWATCH_SCHEDULE_NOTIFICATIONS_EVERY": "off",
}


def sources_yaml(schedules: dict[str, str]) -> str:
    lines = ["sources:"]
    for name, schedule in schedules.items():
        lines += [
            f"  - name: {name}",
            "    start_urls: [http://127.0.0.2/]",
            f"    schedule: {json.dumps(schedule)}",
        ]
    return "\n".join(lines) + "\n"


class SchedulerProcess:
    """One `brwatch schedule` subprocess with its output in a file."""

    def __init__(self, workdir: Path, db_url: str, env: dict[str, str], name: str) -> None:
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.stopped = False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "brwatch.cli", "schedule"],
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "BRWATCH_DB_URL": db_url, "PYTHONUNBUFFERED": "1"},
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, needle: str, timeout: float = 30) -> None:
        wait_until(lambda: needle in self.output() or self.process.poll() is not None, timeout)
        assert needle in self.output(), self.output()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


class Harness:
    def __init__(self, workdir: Path, db_url: str) -> None:
        self.workdir = workdir
        self.db_url = db_url
        self.db = Database(db_url)
        self.sources_path = workdir / "sources.yaml"
        self.control_path = workdir / "control.json"
        (workdir / "fake_crawl.py").write_text(FAKE_CRAWL)
        self.control({})
        self.processes: list[SchedulerProcess] = []

    def control(self, per_source: dict[str, dict]) -> None:
        self.control_path.write_text(json.dumps(per_source))

    def write_sources(self, schedules: dict[str, str]) -> None:
        self.sources_path.write_text(sources_yaml(schedules))

    def start(self, name: str = "scheduler", **settings: str) -> SchedulerProcess:
        fake_crawl = self.workdir / "fake_crawl.py"
        env = {
            **FAST,
            "BRWATCH_SOURCES": str(self.sources_path),
            "FAKE_CRAWL_CONTROL": str(self.control_path),
            "BRWATCH_SCHEDULE_CRAWL_COMMAND": f"{{python}} {fake_crawl} {{source}}",
            **{"BRWATCH_SCHEDULE_" + key.upper(): value for key, value in settings.items()},
        }
        process = SchedulerProcess(self.workdir, self.db_url, env, name)
        self.processes.append(process)
        return process

    def runs(self, source: str | None = None, status: str | None = None) -> list[CrawlRun]:
        query = select(CrawlRun).order_by(CrawlRun.started_at, CrawlRun.id)
        if source:
            query = query.where(CrawlRun.source == source)
        if status:
            query = query.where(CrawlRun.status == status)
        with self.db.session() as session:
            return list(session.scalars(query))

    def wait_for_runs(self, count: int, timeout: float = 30, **where: str) -> list[CrawlRun]:
        wait_until(lambda: len(self.runs(**where)) >= count or self.a_scheduler_died(), timeout)
        runs = self.runs(**where)
        assert len(runs) >= count, (runs, [p.output() for p in self.processes])
        return runs

    def a_scheduler_died(self) -> bool:
        return any(p.process.poll() is not None and not p.stopped for p in self.processes)

    def stored_job_ids(self) -> set[str]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return set(connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
        finally:
            engine.dispose()


@pytest.fixture
def harness(tmp_path: Path, db_url: str) -> Iterator[Harness]:
    """On every backend: for what the database decides (leases, job store, history)."""
    yield from _harness(tmp_path, db_url)


@pytest.fixture
def sqlite_harness(tmp_path: Path) -> Iterator[Harness]:
    """SQLite only: for process handling, where the backend plays no part."""
    yield from _harness(tmp_path, f"sqlite:///{tmp_path / 'brwatch.db'}")


def _harness(workdir: Path, db_url: str) -> Iterator[Harness]:
    harness = Harness(workdir, db_url)
    try:
        yield harness
    finally:
        for process in harness.processes:
            process.kill()
        harness.db.dispose()


def finished(runs: list[CrawlRun]) -> list[CrawlRun]:
    return [run for run in runs if run.status != "running"]


def _seconds(run: CrawlRun, attribute: str = "started_at") -> float:
    return getattr(run, attribute).replace(tzinfo=None).timestamp()


def test_runs_happen_on_schedule_and_are_recorded(harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness.write_sources({"alpha": "every 2s"})
    harness.control({"alpha": {"url": site.url("/")}})
    scheduler = harness.start()
    harness.wait_for_runs(3, source="alpha", status="ok")
    assert scheduler.stop() == 0, scheduler.output()

    runs = finished(harness.runs("alpha"))
    assert len(runs) >= 3
    assert all(run.status == "ok" and run.trigger == "schedule" for run in runs)
    assert all(run.pages == 1 and run.items == 2 for run in runs)
    assert all(
        run.finished_at is not None and run.log_tail and "done alpha" in run.log_tail
        for run in runs
    )
    # One fetch of the loopback site per run, and no more runs than the 2 s interval allows.
    assert site.paths_requested().count("/") == len(runs)
    window = _seconds(runs[-1]) - _seconds(runs[0])
    assert len(runs) <= window / 2 + 2, [_seconds(run) for run in runs]
    assert harness.stored_job_ids() == {"crawl:alpha"}


def test_hung_and_crashing_crawls_are_recorded_and_the_scheduler_goes_on(
    sqlite_harness: Harness,
) -> None:
    harness = sqlite_harness
    harness.write_sources({"hangs": "every 1s", "crashes": "every 1s", "dies": "every 1s"})
    harness.control(
        {"hangs": {"mode": "hang"}, "crashes": {"mode": "crash"}, "dies": {"mode": "crash_early"}}
    )
    # The limit leaves the crashing children (slow to start on a busy machine) time to crash.
    scheduler = harness.start(crawl_time_limit="15", kill_grace="1")
    harness.wait_for_runs(1, source="hangs", status="killed")
    harness.wait_for_runs(2, source="crashes", status="failed")
    harness.wait_for_runs(2, source="dies", status="failed")
    assert scheduler.stop() == 0, scheduler.output()

    # A child still starting when the scheduler stops is killed by the stop, whatever its mode.
    for run in finished(harness.runs("hangs")):
        assert run.status == "killed"
        with pytest.raises(ProcessLookupError):  # the hung child is gone, not orphaned
            os.kill(run.pid, 0)
        if "shutting down" not in run.log_tail:
            assert "crawling hangs mode=hang" in run.log_tail and "time limit" in run.log_tail
    assert "killed at its time limit" in scheduler.output()
    # The child's own row is closed with its traceback; a child that died before writing one
    # gets a row written by the scheduler, with its output.
    for run in finished(harness.runs("crashes")):
        if run.status == "killed":
            assert "shutting down" in run.log_tail
            continue
        assert run.status == "failed" and "boom in the middle" in run.log_tail
        assert "exited with status 1" in run.log_tail
    for run in finished(harness.runs("dies")):
        if run.status == "killed":
            assert "shutting down" in run.log_tail
            continue
        assert run.status == "failed" and "boom before any run" in run.log_tail
        assert run.trigger == "schedule"


def test_a_source_never_runs_twice_at_once(sqlite_harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness = sqlite_harness
    harness.write_sources({"alpha": "every 1s"})
    harness.control({"alpha": {"url": site.url("/"), "seconds": 1.5}})
    scheduler = harness.start()
    harness.wait_for_runs(2, source="alpha", status="ok")
    assert scheduler.stop() == 0, scheduler.output()

    runs = finished(harness.runs("alpha"))
    for earlier, later in itertools.pairwise(runs):
        assert _seconds(later) >= _seconds(earlier, "finished_at"), "two crawls of alpha overlapped"


def test_sources_edits_are_picked_up_without_restart(sqlite_harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness = sqlite_harness
    harness.write_sources({"alpha": "every 1s"})
    harness.control({name: {"url": site.url("/")} for name in ("alpha", "beta")})
    scheduler = harness.start()
    harness.wait_for_runs(1, source="alpha", status="ok")

    harness.write_sources({"beta": "every 1s"})  # alpha removed, beta added
    harness.wait_for_runs(2, source="beta", status="ok")
    assert wait_until(lambda: harness.stored_job_ids() == {"crawl:beta"}, 10)
    alpha_runs = len(harness.runs("alpha"))
    time.sleep(1.5)
    assert len(harness.runs("alpha")) == alpha_runs, "a removed source was still crawled"

    # A broken edit is refused with the source and the reason; the jobs stay as they were.
    harness.write_sources({"beta": "every 5 fortnights"})
    os.kill(scheduler.process.pid, signal.SIGHUP)
    scheduler.wait_for_output("refused")
    assert "beta" in scheduler.output() and "every 5 fortnights" in scheduler.output()
    beta_runs = len(harness.runs("beta"))
    harness.wait_for_runs(beta_runs + 1, source="beta")
    assert harness.stored_job_ids() == {"crawl:beta"}
    assert scheduler.stop() == 0, scheduler.output()


def test_sigterm_stops_a_crawl_that_outlives_the_grace(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    harness.write_sources({"alpha": "every 1h"})
    harness.control({"alpha": {"mode": "hang"}})
    scheduler = harness.start(stop_grace="0.5", kill_grace="1")
    harness.wait_for_runs(1, source="alpha", status="running")
    assert scheduler.stop(signal.SIGINT) == 0, scheduler.output()
    [run] = harness.runs("alpha")
    assert run.status == "killed" and "shutting down" in run.log_tail
    with pytest.raises(ProcessLookupError):
        os.kill(run.pid, 0)


def test_two_schedulers_on_one_database_do_not_double_run(harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness.write_sources({"alpha": "every 3s"})
    harness.control({"alpha": {"url": site.url("/"), "seconds": 0.3}})
    first, second = harness.start("first"), harness.start("second")
    first.wait_for_output("started")
    second.wait_for_output("started")
    harness.wait_for_runs(3, timeout=40, source="alpha", status="ok")
    assert first.stop() == 0 and second.stop() == 0

    # Both fire every 3 s from one shared job; a fire run by both would show as two children
    # launched moments apart.
    runs = finished(harness.runs("alpha"))
    starts = sorted(datetime.fromisoformat(run.stats["launched_at"]).timestamp() for run in runs)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap > 1.5 for gap in gaps), f"the same fire ran twice: gaps {gaps}"
    assert site.paths_requested().count("/") == len(runs)


def test_a_stop_lets_the_crawl_finish_and_a_restart_continues_the_stored_schedule(
    harness: Harness, serve_site, brwatch
) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness.write_sources({"alpha": "every 1h"})
    harness.control({"alpha": {"url": site.url("/"), "seconds": 2}})
    first = harness.start("first", stop_grace="30")
    harness.wait_for_runs(1, source="alpha", status="running")
    assert first.stop() == 0, first.output()
    [run] = harness.runs("alpha")
    assert run.status == "ok" and run.items == 2  # finished within the grace, fully written
    [job] = stored_jobs(harness.db)
    assert job.job_id == "crawl:alpha" and job.next_run is not None
    assert timedelta(minutes=50) < job.next_run - datetime.now(UTC) <= timedelta(hours=1)
    listed = brwatch("schedule", "--jobs", db=harness.db_url, env={"COLUMNS": "200"})
    assert listed.returncode == 0 and "crawl:alpha" in listed.stdout and "every 1h" in listed.stdout

    # A fresh job would crawl at once; the stored one is not due for an hour.
    second = harness.start("second")
    second.wait_for_output("started")
    assert "added: none" in second.output()
    time.sleep(1.5)
    assert second.stop() == 0
    assert len(harness.runs("alpha")) == 1


def test_a_malformed_schedule_is_refused_at_start(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sources = tmp_path / "sources.yaml"
    sources.write_text(sources_yaml({"alpha": "61 * * * *"}))
    result = brwatch(
        "--sources", str(sources), "schedule", db=f"sqlite:///{tmp_path / 'b.db'}", timeout=60
    )
    assert result.returncode == 2, result
    assert "alpha" in result.stderr and "61" in result.stderr
    bad_setting = brwatch(
        "--sources", str(sources), "schedule", "--default-schedule", "every never",
        db=f"sqlite:///{tmp_path / 'b.db'}", timeout=60,
    )  # fmt: skip
    assert bad_setting.returncode == 2, bad_setting
    assert "default_schedule" in bad_setting.stderr and "every never" in bad_setting.stderr


def test_an_unreachable_database_at_start_is_a_clear_error(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("schedule", db="postgresql+psycopg://nobody@127.0.0.1:1/none", timeout=60)
    assert result.returncode == 2, result
    assert "cannot reach database" in result.stderr and "127.0.0.1:1" in result.stderr


@pytest.mark.parametrize("db_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_a_database_outage_while_running_is_ridden_out(harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness.write_sources({"alpha": "every 1s"})
    harness.control({"alpha": {"url": site.url("/")}})
    scheduler = harness.start(db_retry_for="60")
    harness.wait_for_runs(1, source="alpha", status="ok")

    name = make_url(harness.db_url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            connection.execute(text(terminate), {"n": name})
        time.sleep(3)
        assert scheduler.process.poll() is None, scheduler.output()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    back = time.time()

    def ran_since_back() -> bool:
        return any(_seconds(run) > back for run in harness.runs("alpha", status="ok"))

    assert wait_until(ran_since_back, 30), scheduler.output()
    assert scheduler.stop() == 0, scheduler.output()
    assert "database unavailable" in scheduler.output() or "job store" in scheduler.output()


class _FlakyJobStore(MemoryJobStore):
    """A job store that fails when asked for its next run time, as a database mid-outage does."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def get_next_run_time(self):  # type: ignore[no-untyped-def]
        if self.failures > 0:
            self.failures -= 1
            closed = Exception("server closed the connection")
            raise OperationalError("SELECT next_run_time", {}, closed)
        return super().get_next_run_time()


def test_a_job_store_failing_between_rounds_does_not_kill_the_scheduler_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # APScheduler lets this one failure escape its loop; the daemon's scheduler must retry it.
    monkeypatch.setattr(daemon, "JOBSTORE_RETRY_SECONDS", 0.05)
    store = _FlakyJobStore(failures=3)
    scheduler = daemon._Scheduler(jobstores={"default": store})
    fired = threading.Event()
    scheduler.start()
    try:
        scheduler.add_job(fired.set, "interval", seconds=0.2)
        assert fired.wait(10), "the scheduler stopped firing after the job store failed"
        assert store.failures == 0 and scheduler._thread.is_alive()
    finally:
        scheduler.shutdown(wait=False)


def test_the_real_crawl_runs_on_schedule_against_a_loopback_site(  # type: ignore[no-untyped-def]
    sqlite_harness: Harness, serve_site
) -> None:
    site = serve_site("127.0.0.2", {})
    story = "<p>Officials said the Belt and Road railway and port links will be extended.</p>" * 6
    site.pages.update(
        {
            "/": Page(f"<html><body><a href='{site.url('/news/1.html')}'>one</a></body></html>"),
            "/news/1.html": Page(
                f"<html><head><title>Railway</title></head><body><article><h1>Railway</h1>"
                f"{story}</article></body></html>"
            ),
        }
    )
    harness = sqlite_harness
    harness.sources_path.write_text(
        "sources:\n  - name: loop\n"
        f"    start_urls: [{site.url('/')}]\n"
        "    allow: ['/news/']\n"
        "    schedule: every 1h\n"
    )
    fast = " ".join(
        f"--set {setting}"
        for setting in ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_START_DELAY=0", "RETRY_TIMES=0")
    )
    scheduler = harness.start(
        crawl_command=f"{DEFAULT_CRAWL_COMMAND} {fast}",  # the real crawl, minus politeness waits
        crawl_time_limit="120",
    )
    [run] = harness.wait_for_runs(1, timeout=120, source="loop", status="ok")
    assert scheduler.stop() == 0, scheduler.output()
    assert run.trigger == "schedule" and run.pages >= 2 and run.items >= 1, run.log_tail
    assert "/news/1.html" in site.paths_requested()


def test_rechecks_run_as_their_own_recurring_jobs(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    harness.write_sources({"alpha": "every 1h"})
    harness.control({"alpha": {"mode": "crash_early"}})
    marker = harness.workdir / "rechecked"
    recheck = f"{{python}} -c \"open('{marker}', 'a').write('x')\""
    scheduler = harness.start(
        attribution_recheck_every="every 1s",
        attribution_recheck_command=recheck,
        rights_recheck_every="every 1s",  # the real `brwatch recheck`
    )
    ran_twice = wait_until(lambda: marker.exists() and len(marker.read_text()) >= 2, 30)
    assert ran_twice, scheduler.output()
    scheduler.wait_for_output("rights_recheck finished")
    assert scheduler.stop() == 0, scheduler.output()
    maintenance = {"maintenance:attribution_recheck", "maintenance:rights_recheck"}
    assert maintenance <= harness.stored_job_ids()


def test_missed_fires_are_coalesced_into_one_late_run(sqlite_harness: Harness, serve_site) -> None:  # type: ignore[no-untyped-def]
    site = serve_site("127.0.0.2", {"/": Page(LISTING)})
    harness = sqlite_harness
    harness.write_sources({"alpha": "every 1h"})
    harness.control({"alpha": {"url": site.url("/")}})
    first = harness.start("first")
    harness.wait_for_runs(1, source="alpha", status="ok")
    assert first.stop() == 0

    # As if the scheduler had been down for two hours: three fires missed, the last 30 s ago.
    store = SQLAlchemyJobStore(url=harness.db_url)
    job = store.lookup_job("crawl:alpha")
    job.next_run_time = datetime.now(UTC) - timedelta(hours=2, seconds=30)
    store.update_job(job)
    store.shutdown()
    with harness.db.session() as session:
        session.execute(update(SchedulerLease).values(claimed_at=job.next_run_time))

    second = harness.start("second")
    harness.wait_for_runs(2, source="alpha", status="ok")
    time.sleep(2)
    assert second.stop() == 0
    assert len(harness.runs("alpha")) == 2, "missed fires were not coalesced into one run"
