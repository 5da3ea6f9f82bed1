"""`brwatch worker`: crawl the jobs the scheduler queues, on any number of hosts.

This process becomes the crawler (exec, same pid): brwatch never imports Scrapy, and a
worker needs no process above it. Joining is checked there (brwatch_crawler.worker), so a refusal is
one line and exit status 2 as for every command.
"""

from __future__ import annotations

import argparse
import os
import sys

from brwatch.cli._common import CommandError
from brwatch.cluster.node import WorkerSettings
from brwatch.settings import CoreSettings
from brwatch.sources import resolve_sources_path
from brwatch.storage.database import database_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "worker",
        help="crawl queued jobs (many hosts sharing PostgreSQL and Redis)",
        description=(
            "Claims due crawl jobs from the database (queued by `brwatch schedule --redis …`), "
            "crawls them, and stores the pages under leases; politeness per host is shared "
            "with every other worker through Redis. SIGTERM drains it. See docs/deploy.md."
        ),
    )
    parser.add_argument(
        "--redis", metavar="URL", help="e.g. redis://host:6379/0 (default: $BRWATCH_REDIS_URL)"
    )
    parser.add_argument("--worker-id", metavar="NAME", help="unique name (default: host:pid)")
    parser.add_argument(
        "--lease",
        type=float,
        default=WorkerSettings.lease,
        metavar="SECONDS",
        help="how long a job or URL stays this worker's without renewal (default: %(default)s)",
    )
    parser.add_argument(
        "--freshness",
        type=float,
        default=WorkerSettings.freshness,
        metavar="SECONDS",
        help="no URL is fetched again this soon after it was (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=4,
        metavar="N",
        help="crawls (sources) this worker runs at once (default: %(default)s)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a crawler setting, e.g. DOWNLOAD_TIMEOUT=20",
    )
    parser.set_defaults(handler=run)


def worker_argv(args: argparse.Namespace) -> list[str]:
    # -P: a folder named "brwatch_crawler" in the working directory must not shadow the package.
    redis_url = args.redis or CoreSettings.load().redis_url
    if not redis_url:
        raise CommandError("brwatch worker needs --redis URL (or BRWATCH_REDIS_URL)")
    argv = [sys.executable, "-P", "-m", "brwatch_crawler.worker", "--redis", redis_url]
    argv += ["--db", database_url(args.db), "--sources", str(resolve_sources_path(args.sources))]
    argv += ["--lease", str(args.lease), "--freshness", str(args.freshness)]
    argv += ["--jobs", str(args.jobs)]
    if args.worker_id:
        argv += ["--worker-id", args.worker_id]
    for override in args.set:
        argv += ["--set", override]
    return argv


def run(args: argparse.Namespace) -> int:
    argv = worker_argv(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)
    return 0  # not reached
