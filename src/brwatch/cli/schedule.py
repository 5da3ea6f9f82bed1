"""`brwatch schedule`: run crawls on each source's schedule until stopped (SIGTERM/SIGINT)."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC

from rich.table import Table

from brwatch.cli._common import CommandError, console, database
from brwatch.schedule import SchedulerSettings, ScheduleSetupError, run_scheduler, stored_jobs
from brwatch.settings import CoreSettings
from brwatch.sources import resolve_sources_path
from brwatch.storage import Database


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "schedule",
        help="run crawls on each source's schedule until stopped",
        description=(
            "Keeps one job per source (its `schedule`: cron or 'every 6h') in the database and "
            "runs each crawl in a child process. Edits to the sources file are picked up (or send "
            "SIGHUP); SIGTERM/SIGINT stop cleanly. Every setting can also be given as "
            "BRWATCH_SCHEDULE_<NAME>; see docs/scheduling.md."
        ),
    )
    parser.add_argument(
        "--jobs",
        action="store_true",
        help="list the stored jobs and their next fire times, then exit (the daemon keeps running)",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help=(
            "on many hosts: queue crawls for `brwatch worker` processes instead of running "
            "them here; one scheduler is active, the others stand by (needs PostgreSQL)"
        ),
    )
    for name in SchedulerSettings.names():
        default = SchedulerSettings.model_fields[name].default
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=f"setting_{name}",
            metavar=type(default).__name__.upper(),
            help=f"{SchedulerSettings.help_for(name)} (default: {default})".replace("%", "%%"),
        )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    overrides = {name: getattr(args, f"setting_{name}") for name in SchedulerSettings.names()}
    settings = SchedulerSettings.load(**overrides)
    # A daemon's log is its output: say what it does at INFO unless asked for more.
    if not args.verbose:
        logging.getLogger("brwatch.schedule").setLevel(logging.INFO)
    db = database(args)
    if args.jobs:
        try:
            return _list_jobs(db)
        finally:
            db.dispose()
    try:
        redis_url = args.redis or CoreSettings.load().redis_url
        return run_scheduler(db, resolve_sources_path(args.sources), settings, redis_url)
    except ScheduleSetupError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.dispose()


def _list_jobs(db: Database) -> int:
    jobs = stored_jobs(db)
    if not jobs:
        console.print("no scheduled jobs stored yet (start `brwatch schedule`)")
        return 0
    table = Table(title="scheduled jobs")
    for column in ("job", "schedule", "next run (UTC)"):
        table.add_column(column)
    for job in jobs:
        next_run = (
            job.next_run.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if job.next_run else "paused"
        )
        table.add_row(job.job_id, job.schedule, next_run)
    console.print(table)
    return 0
