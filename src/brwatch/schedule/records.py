"""Run history: reconciling what a crawl child recorded with how it actually ended, and reading
the history back for `brwatch runs` and the web app.

The crawl child writes its own `CrawlRun` rows (running -> ok/failed). Only the scheduler knows
when it killed a child or the child crashed before finishing its row, so it settles those rows
afterwards, and writes a row itself when the child never got as far as creating one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from brwatch.schedule.children import ChildResult
from brwatch.storage import Database
from brwatch.storage.articles import crawl_process_alive
from brwatch.storage.frontier import left_out
from brwatch.storage.models import CrawlRun, utcnow

TRIGGER = "schedule"
_ENDING_NOTES = {
    "time_limit": "stopped by the scheduler: the crawl reached its time limit",
    "stopped": "stopped by the scheduler: shutting down and the grace period ran out",
    "lease_lost": "stopped by the scheduler: another scheduler took over this job's lease",
}


def newest_run_id(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.max(CrawlRun.id))) or 0


def runs_of_child(db: Database, source: str, after_id: int, child_pid: int) -> set[int]:
    """Runs of ``source`` begun after ``after_id`` by the child or a process in its group."""
    with db.session() as session:
        rows = session.execute(
            select(CrawlRun.id, CrawlRun.pid).where(
                CrawlRun.source == source, CrawlRun.id > after_id
            )
        ).all()
    return {run_id for run_id, pid in rows if pid is None or _in_group(pid, child_pid)}


def _in_group(pid: int, group: int) -> bool:
    if pid == group:
        return True
    try:
        return os.getpgid(pid) == group
    except (ProcessLookupError, PermissionError):
        return False


def settle_runs(
    db: Database, source: str, run_ids: Iterable[int], result: ChildResult, launched_at: datetime
) -> list[int]:
    """Make the recorded runs say how the child really ended; returns the ids of the runs."""
    with db.session() as session:
        runs = [run for run in (session.get(CrawlRun, run_id) for run_id in sorted(run_ids)) if run]
        created = not runs
        if created:
            runs = [
                CrawlRun(
                    source=source,
                    trigger=TRIGGER,
                    status="running",
                    started_at=launched_at,
                    pid=result.pid,
                    host=socket.gethostname(),
                    errors={},
                    stats={},
                )
            ]
            session.add(runs[0])
        for run in runs:
            _settle(run, result, created, launched_at)
        session.flush()
        return [run.id for run in runs]


def _settle(run: CrawlRun, result: ChildResult, created: bool, launched_at: datetime) -> None:
    note: str | None = None
    if result.ending != "exited":
        run.status = "killed"
        note = _ENDING_NOTES[result.ending]
    elif result.returncode != 0:
        note = f"the crawl process exited with status {result.returncode}"
        if run.status == "running":
            run.status = "failed"
    elif run.status == "running":
        # A command that records nothing itself succeeded; a crawl that left its row open did not.
        run.status = "ok" if created else "failed"
        if not created:
            note = "the crawl process exited without finishing its run"
    if run.finished_at is None or result.ending != "exited":
        run.finished_at = utcnow()
    if note or not run.log_tail:
        parts = [run.log_tail or result.log_tail, note]
        run.log_tail = "\n".join(part for part in parts if part)
    run.stats = {
        **(run.stats or {}),
        "exit_status": result.returncode,
        "child_seconds": result.seconds,
        # When the scheduler started the child; started_at is when the crawl got going.
        "launched_at": launched_at.isoformat(),
    }


def close_vanished_runs(db: Database) -> list[int]:
    """Runs left ``running`` on this host by a crawl process that no longer exists are failed.

    Such rows are left by a machine restart or a SIGKILLed scheduler; without this they would
    stay ``running`` for ever and hide the source from monitoring.
    """
    host = socket.gethostname()
    with db.session() as session:
        rows = session.scalars(
            select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.host == host)
        ).all()
        vanished = [
            run
            for run in rows
            if run.pid is None or not crawl_process_alive(run.pid, run.started_at)
        ]
        for run in vanished:
            run.status = "failed"
            run.finished_at = utcnow()
            note = "the crawl process vanished without finishing its run"
            run.log_tail = "\n".join(part for part in (run.log_tail, note) if part)
        return [run.id for run in vanished]


def recent_runs(db: Database, source: str | None = None, limit: int | None = 50) -> list[CrawlRun]:
    """Newest first; ``limit`` None or 0 for all."""
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    if source:
        query = query.where(CrawlRun.source == source)
    if limit:
        query = query.limit(limit)
    with db.session() as session:
        return list(session.scalars(query))


def finished_runs(db: Database, source: str, limit: int) -> list[CrawlRun]:
    """The newest finished runs of a source, newest first."""
    query = (
        select(CrawlRun)
        .where(CrawlRun.source == source, CrawlRun.status != "running")
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    with db.session() as session:
        return list(session.scalars(query))


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_json(run: CrawlRun) -> dict[str, Any]:
    """The `runs --json` line (DESIGN.md contract)."""
    started, finished = as_utc(run.started_at), as_utc(run.finished_at)
    return {
        "source": run.source,
        "started_at": started.isoformat() if started else None,
        "finished_at": finished.isoformat() if finished else None,
        "status": run.status,
        "pages": run.pages or 0,
        "items": run.items or 0,
        "errors": dict(run.errors or {}),
        # Pages whose content changed since the last fetch, and what caps left for the next
        # run (by stat: capped_urls, capped_sitemaps, listing_capped).
        "changed": int((run.stats or {}).get("changed", 0) or 0),
        "left_out": left_out(run.stats),
    }
