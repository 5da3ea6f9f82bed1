"""Scheduler overhead: what the daemon adds around each crawl, against a bare baseline, one run.

(1) per-run bookkeeping — take the lease, find/settle the run, judge the source's flags,
    release — on a history of many runs, vs the bare insert of one CrawlRun row
(2) starting a child — `run_child` (own process group, captured log, time-limit watch) vs
    a bare `subprocess.run` of the same command
(3) job-store sync at start — N sources written to the job store, then a restart that finds
    them all unchanged, vs APScheduler's own add_job of N jobs into the same store

  python benchmarks/schedule.py                       # SQLite in a temporary directory
  python benchmarks/schedule.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, delete, text

from brwatch.schedule.children import ChildResult, run_child
from brwatch.schedule.daemon import SchedulerDaemon
from brwatch.schedule.leases import LeaseBook
from brwatch.schedule.monitor import evaluate_source
from brwatch.schedule.records import newest_run_id, runs_of_child, settle_runs
from brwatch.schedule.settings import SchedulerSettings
from brwatch.storage import Database
from brwatch.storage.models import CrawlRun, SchedulerLease, SourceFlag


def timed(action: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``action`` over ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def seed_history(db: Database, sources: int, runs_each: int) -> None:
    start = datetime.now(UTC) - timedelta(days=30)
    with db.session() as session:
        session.execute(delete(CrawlRun))
        session.execute(delete(SourceFlag))
        session.execute(delete(SchedulerLease))
        session.add_all(
            CrawlRun(
                source=f"s{s}",
                trigger="schedule",
                status="ok",
                pages=40,
                items=12,
                started_at=start + timedelta(minutes=r),
                finished_at=start + timedelta(minutes=r + 1),
                errors={"timeout": 1},
            )
            for s in range(sources)
            for r in range(runs_each)
        )


def bench_bookkeeping(db: Database, repeats: int) -> tuple[float, float]:
    settings = SchedulerSettings()
    leases = LeaseBook(db, "bench", settings.lease_ttl)
    result = ChildResult(pid=1, returncode=0, ending="exited", log_tail="done", seconds=1.0)

    def one_run() -> None:
        assert leases.claim("crawl:s0", min_gap=0)
        baseline = newest_run_id(db)
        owned = runs_of_child(db, "s0", baseline, 1)
        settle_runs(db, "s0", owned, result, datetime.now(UTC))
        evaluate_source(db, "s0", settings)
        leases.release("crawl:s0")

    def bare_insert() -> None:
        with db.session() as session:
            session.add(CrawlRun(source="s1", status="ok", pages=1, items=1))

    return timed(one_run, repeats), timed(bare_insert, repeats)


def bench_child(repeats: int) -> tuple[float, float]:
    argv = [sys.executable, "-c", "print('crawl')"]
    ours = timed(
        lambda: run_child(argv, env={}, time_limit=60, kill_grace=1, tail_chars=4000), repeats
    )
    bare = timed(lambda: subprocess.run(argv, capture_output=True, check=True), repeats)
    return ours, bare


def bench_sync(db: Database, workdir: Path, count: int) -> tuple[float, float, float]:
    sources = workdir / "sources.yaml"
    sources.write_text(
        "sources:\n"
        + "".join(
            f"  - name: s{i}\n    start_urls: [https://example.org/{i}]\n"
            f"    schedule: every {i % 12 + 1}h\n"
            for i in range(count)
        )
    )
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    timings = []
    for _ in range(2):  # first start writes every job, the restart finds them unchanged
        daemon = SchedulerDaemon(db, sources, SchedulerSettings())
        daemon.scheduler.start(paused=True)
        started = time.perf_counter()
        daemon.sync_jobs(daemon.sources)
        timings.append((time.perf_counter() - started) * 1000)
        daemon.scheduler.shutdown(wait=False)

    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    bare = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=db.engine)})
    bare.start(paused=True)
    started = time.perf_counter()
    for i in range(count):
        bare.add_job(print, "interval", hours=i % 12 + 1, id=f"s{i}")
    baseline = (time.perf_counter() - started) * 1000
    bare.shutdown(wait=False)
    return timings[0], timings[1], baseline


@contextmanager
def scratch_database(admin_url: str | None, workdir: Path) -> Iterator[str]:
    """A database used only by this benchmark: SQLite in ``workdir``, or a fresh PostgreSQL one."""
    if not admin_url:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    name = f"brwatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="PostgreSQL server to make a scratch database on"
    )
    parser.add_argument("--sources", type=int, default=300, help="sources in the sync benchmark")
    parser.add_argument("--history", type=int, default=200, help="earlier runs per source")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.postgres, Path(tmp)) as url:
        db = Database(url)
        print(f"database: {db.display_url}")
        seed_history(db, 50, args.history)
        ours, bare = bench_bookkeeping(db, args.repeats)
        print(
            f"(1) bookkeeping per run ({50 * args.history} runs stored): {ours:.1f} ms "
            f"(bare CrawlRun insert: {bare:.1f} ms)"
        )
        ours, bare = bench_child(max(args.repeats // 3, 5))
        print(
            f"(2) starting and reaping a child: run_child {ours:.0f} ms "
            f"(bare subprocess.run: {bare:.0f} ms)"
        )
        first, again, baseline = bench_sync(db, Path(tmp), args.sources)
        print(
            f"(3) job store sync, {args.sources} sources: first start {first:.0f} ms, "
            f"restart (unchanged) {again:.0f} ms (APScheduler add_job alone: {baseline:.0f} ms)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
