"""`brwatch status`: the crawl cluster now — scheduler, workers, queue, leases, gates."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.table import Table

from brwatch.cli._common import console, database
from brwatch.settings import CoreSettings


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status",
        help="the active scheduler, live workers, queue depth, leases and per-host gates",
        description="What the schedulers and workers sharing this database are doing now.",
    )
    parser.add_argument("--redis", metavar="URL", help="also show the per-host gates in Redis")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from brwatch.cluster.redis_link import connect_redis
    from brwatch.cluster.status import cluster_status

    args.redis = args.redis or CoreSettings.load().redis_url
    db = database(args)
    try:
        client = connect_redis(args.redis) if args.redis else None
        status = cluster_status(db, client)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(status.as_json(), default=str, indent=2))
        return 0
    console.print(f"active scheduler: {escape(status.active_scheduler or 'none')}")
    members = Table(title="schedulers and workers")
    for column in ("name", "role", "host", "pid", "doing", "heartbeat", "alive"):
        members.add_column(column)
    for m in status.members:
        alive = "yes" if m.alive else "[red]no[/]"
        seen = f"{m.seen_seconds_ago:.0f}s ago"
        members.add_row(escape(m.name), m.role, escape(m.host or "-"), str(m.pid or "-"),
                        escape(m.doing or "-"), seen, alive)  # fmt: skip
    console.print(members)
    queue = status.queue
    console.print(f"jobs: {queue.queued} queued ({queue.due} due), {queue.leased} running")
    console.print(
        "URLs: " + (", ".join(f"{n} {s}" for s, n in sorted(status.urls.items())) or "none")
    )
    if status.leases:
        leases = Table(title="job leases")
        for column in ("job", "source", "worker", "expires in", "URLs leased"):
            leases.add_column(column)
        for lease in status.leases:
            leases.add_row(str(lease.job_id), lease.source, escape(lease.worker or "-"),
                           f"{lease.expires_in:.0f}s", str(lease.urls_leased))  # fmt: skip
        console.print(leases)
    if status.gates_error:
        console.print(f"[red]gates: Redis unavailable: {escape(status.gates_error)}[/]")
    elif args.redis:
        gates = Table(title="politeness gates")
        for column in ("host or group", "closed for", "in flight"):
            gates.add_column(column)
        for gate in status.gates:
            gates.add_row(escape(gate.group), f"{gate.closed_for_ms} ms", str(gate.in_flight))
        console.print(gates)
    return 0
