"""`brwatch runs`: the crawl history, newest first, and the flags raised on sources."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from brwatch.cli._common import CommandError, console, database, print_json_line
from brwatch.schedule import current_flags, recent_runs, run_json
from brwatch.schedule.records import as_utc
from brwatch.storage.articles import settle_orphaned_runs
from brwatch.storage.frontier import left_out


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("runs", help="crawl history and source flags")
    parser.add_argument("--source", metavar="NAME", help="only this source's runs")
    parser.add_argument("--json", action="store_true", help="one JSON object per run per line")
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help="newest N runs (default 50; 0 for all)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise CommandError(f"--limit must be 0 (all) or more, not {args.limit}")
    db = database(args)
    try:
        with db.session() as session:
            settle_orphaned_runs(session)  # runs whose crawl was killed outright
        runs = recent_runs(db, args.source, args.limit)
        if args.json:
            for crawl_run in runs:
                print_json_line(run_json(crawl_run))
            return 0
        table = Table(title="crawl runs (newest first)")
        for column in (
            "source",
            "trigger",
            "started (UTC)",
            "took",
            "status",
            "pages",
            "items",
            "changed",
            "left out",
            "errors",
        ):
            right = column in ("pages", "items", "changed", "left out")
            table.add_column(column, justify="right" if right else "left")
        for crawl_run in runs:
            started, finished = as_utc(crawl_run.started_at), as_utc(crawl_run.finished_at)
            took = f"{(finished - started).total_seconds():.0f}s" if started and finished else "…"
            errors = ", ".join(
                f"{kind} {count}" for kind, count in sorted((crawl_run.errors or {}).items())
            )
            table.add_row(
                crawl_run.source,
                crawl_run.trigger,
                started.strftime("%Y-%m-%d %H:%M:%S") if started else "",
                took,
                _status(crawl_run.status),
                str(crawl_run.pages or 0),
                str(crawl_run.items or 0),
                str((crawl_run.stats or {}).get("changed", 0)),
                str(sum(left_out(crawl_run.stats).values())),
                errors or "-",
            )
        if runs:
            console.print(table)
        else:
            console.print("no crawl runs recorded yet")
        flags = current_flags(db, args.source)
        for flag in flags:
            console.print(
                f"[bold yellow]flag[/] {escape(flag.source)}: {flag.kind} — {escape(flag.detail)}"
            )
        return 0
    finally:
        db.dispose()


def _status(status: str) -> str:
    colour = {"ok": "green", "failed": "red", "killed": "red", "running": "cyan"}.get(status, "")
    return f"[{colour}]{status}[/]" if colour else status
