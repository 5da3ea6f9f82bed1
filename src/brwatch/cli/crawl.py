"""`brwatch crawl`: one crawl pass over the sources, with live progress and a summary.

Scrapy runs in a child process (`python -m brwatch_crawler.run`): its reactor cannot be
restarted and brwatch never imports Scrapy. The child stays in our process group, so whoever
stops us (the scheduler's killpg, the terminal's Ctrl-C) stops it too. This process records one
CrawlRun per source, with its own pid, and reads the child's JSON-lines progress from its
stdout."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.live import Live
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from brwatch.cli._common import CommandError, console, console_err, database
from brwatch.settings import CrawlSettings
from brwatch.sources import Source, SourcesError, load_sources, resolve_sources_path
from brwatch.storage import Database
from brwatch.storage.articles import finish_run, settle_orphaned_runs, start_run
from brwatch.storage.frontier import describe_left_out, left_out
from brwatch.storage.statistics import refresh_statistics

# The crawl child's exit status when storing failed for BRWATCH_STORE_OUTAGE seconds
# (brwatch_crawler.run); `brwatch crawl` exits with it too.
EXIT_STORAGE_DOWN = 3

LOG_TAIL_LINES = 40
MMAP_THRESHOLD = 128 * 1024
# Error kinds that mean the site, not one page, is failing.
SITE_ERRORS = ("dns", "connect", "timeout", "http_5xx")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "crawl",
        help="one crawl pass over the sources, full pipeline",
        description="Fetch every source (or the ones named), extract, score, judge rights, store.",
    )
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME",
        help="crawl only this source (repeatable)",
    )
    parser.add_argument(
        "--trigger",
        choices=("manual", "schedule"),
        default="manual",
        help="recorded with the run (the scheduler passes 'schedule')",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a crawler setting for this run, e.g. DOWNLOAD_DELAY=2",
    )
    parser.set_defaults(handler=run)


@dataclass
class SourceProgress:
    run_id: int
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return int(self.counts.get("pages", 0))

    @property
    def items(self) -> int:
        return int(self.counts.get("items", 0))

    @property
    def errors(self) -> dict[str, int]:
        return dict(self.counts.get("errors", {}))

    def status(self, interrupted: bool, crashed: bool) -> str:
        if interrupted:
            return "killed"
        entry_ok = int(self.counts.get("entry_ok", 0))
        if crashed or (entry_ok == 0 and self.counts.get("entry_failed")):
            return "failed"
        return "ok"

    def failure_summary(self) -> str:
        errors = self.errors
        return ", ".join(f"{kind} {errors[kind]}" for kind in sorted(errors))


def _select(sources: list[Source], names: list[str], path: object) -> list[Source]:
    known = {source.name for source in sources}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CommandError(f"{path}: no source named {', '.join(unknown)}")
    return [s for s in sources if s.name in names] if names else sources


def _table(progress: dict[str, SourceProgress], elapsed: float, title: str) -> Table:
    table = Table(title=title)
    columns = ("source", "pages", "items", "new", "changed", "304", "left out", "errors", "pages/s")
    for column in columns:
        table.add_column(column, justify="left" if column in ("source", "errors") else "right")
    for name, entry in progress.items():
        rate = entry.pages / elapsed if elapsed > 0 else 0.0
        table.add_row(
            name,
            str(entry.pages),
            str(entry.items),
            str(entry.counts.get("new", 0)),
            str(entry.counts.get("changed", 0)),
            str(entry.counts.get("not_modified", 0)),
            str(sum(left_out(entry.counts).values())),
            entry.failure_summary() or "-",
            f"{rate:.1f}",
        )
    return table


class _Child:
    """The crawl process: stdout read line by line, stderr kept as a tail (echoed with -v)."""

    def __init__(self, argv: list[str], env: dict[str, str], echo: bool) -> None:
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, bufsize=1
        )
        self._echo = echo
        self._stderr = threading.Thread(target=self._drain, daemon=True)
        self._stderr.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.tail.append(line.rstrip())
            if self._echo:
                console_err.print(line.rstrip(), markup=False)

    def events(self) -> Iterator[dict[str, Any]]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def wait(self) -> int:
        code = self.process.wait()
        self._stderr.join(timeout=5)
        return code


def _child_argv(args: argparse.Namespace, path: object, run_ids: dict[str, int]) -> list[str]:
    # -P: a folder named "brwatch_crawler" in the working directory must not shadow the package.
    argv = [sys.executable, "-P", "-m", "brwatch_crawler.run", "--sources", str(path), "--progress"]
    argv += ["--run-ids", json.dumps(run_ids)]
    for name in run_ids:
        argv += ["--source", name]
    for override in args.set:
        argv += ["--set", override]
    return argv


def _terminate_on_sigterm() -> None:
    # The scheduler stops a crawl with SIGTERM: treat it like Ctrl-C so the runs get closed.
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _follow(child: _Child, progress: dict[str, SourceProgress]) -> tuple[bool, bool, float]:
    """Show the child's progress until it ends: (interrupted, finished properly, seconds)."""
    interrupted, done, elapsed = False, False, 0.0
    with Live(console=console_err, refresh_per_second=4, transient=True) as live:
        while True:
            try:
                for event in child.events():
                    elapsed = float(event.get("elapsed", elapsed))
                    for name, counts in event.get("sources", {}).items():
                        if name in progress:
                            progress[name].counts = counts
                    if event.get("event") == "done":
                        done = True
                        interrupted = interrupted or event.get("reason") == "shutdown"
                    live.update(_table(progress, elapsed, "crawling…"))
                return interrupted, done, elapsed
            except KeyboardInterrupt:
                if interrupted:  # asked twice: stop now, what is stored stays stored
                    child.process.kill()
                    return interrupted, done, elapsed
                interrupted = True
                console_err.print("stopping: storing what was fetched (Ctrl-C again to abort)")
                child.stop()


def run(args: argparse.Namespace) -> int:
    CrawlSettings.load()  # a bad BRWATCH_* value is refused here, not in the crawl process
    path = resolve_sources_path(args.sources)
    try:
        sources = _select(load_sources(path), args.source, path)
    except SourcesError as exc:
        raise CommandError(str(exc)) from exc
    db = database(args)
    with db.session() as session:
        settle_orphaned_runs(session)  # an earlier crawl killed outright left them running
        runs = {s.name: start_run(session, s.name, args.trigger).id for s in sources}
    progress = {name: SourceProgress(run_id) for name, run_id in runs.items()}
    env = {
        **os.environ,
        "BRWATCH_DB_URL": db.url,
        "PYTHONUNBUFFERED": "1",
        "BRWATCH_PARENT_PID": str(os.getpid()),  # the child stops when this process dies
    }
    # Page bodies (100 KB - 1 MB) are freed back to the system instead of fragmenting glibc's
    # heap, which never shrinks: about 20 MB less for the crawl process on a long crawl.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))
    child = _Child(_child_argv(args, path, runs), env, echo=args.verbose > 0)
    _terminate_on_sigterm()
    try:
        interrupted, done, elapsed = _follow(child, progress)
    finally:
        # The child has ended or is ending: the bookkeeping below must not be cut short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    code = child.wait()
    crashed = code != 0 or not done
    try:
        _finish(db, progress, interrupted, crashed, "\n".join(child.tail))
        # A big crawl changes what the queue's planner should choose (storage/statistics.py).
        refresh_statistics(db, changed_rows=sum(entry.items for entry in progress.values()))
    except DBAPIError as exc:
        # Storage is down (the crawl stopped for it, or it went just now): the runs stay
        # "running" and the next crawl, `brwatch runs` or the scheduler settles them.
        console_err.print(f"[red]cannot record the runs' end: {escape(str(exc.orig or exc))}[/]")
    console.print(_table(progress, elapsed, "crawl summary"))
    _report_failures(progress, interrupted, crashed, code, child.tail)
    if code == 2 and not done:
        raise CommandError("the crawl could not start: " + (child.tail[-1] if child.tail else ""))
    if code == EXIT_STORAGE_DOWN:
        raise CommandError(
            "storage stayed down (the database or its disk), so the crawl stopped; what was "
            "not stored is fetched again by the next run",
            exit_code=EXIT_STORAGE_DOWN,
        )
    return 130 if interrupted else 0


def _finish(
    db: Database, progress: dict[str, SourceProgress], interrupted: bool, crashed: bool, tail: str
) -> None:
    with db.session() as session:
        for entry in progress.values():
            stats = {k: v for k, v in entry.counts.items() if k not in ("pages", "items", "errors")}
            if interrupted:
                stats["interrupted"] = True
            finish_run(
                session,
                entry.run_id,
                entry.status(interrupted, crashed),
                pages=entry.pages,
                errors=entry.errors,
                stats=stats,
                log_tail=tail or None,
            )


def _report_failures(
    progress: dict[str, SourceProgress], interrupted: bool, crashed: bool, code: int, tail: deque
) -> None:
    if crashed and not interrupted:
        console_err.print(f"[red]the crawl process ended with status {code}[/]")
        for line in list(tail)[-5:]:
            console_err.print(f"  {line}", markup=False)
    for name, entry in progress.items():
        status = entry.status(interrupted, crashed)
        site_errors = {k: v for k, v in entry.errors.items() if k in SITE_ERRORS}
        if status == "failed":
            console.print(f"[red]{name}: failed[/] ({entry.failure_summary() or 'no page'})")
        elif site_errors:
            summary = ", ".join(f"{k} {v}" for k, v in sorted(site_errors.items()))
            console.print(f"[yellow]{name}: some pages failed[/] ({summary})")
        capped = left_out(entry.counts)
        if capped:
            console.print(
                f"[yellow]{escape(name)}: caps left out[/] {describe_left_out(capped)}; "
                "the next run continues with them"
            )
    if interrupted:
        console.print("interrupted: what was fetched is stored; the next run resumes")
