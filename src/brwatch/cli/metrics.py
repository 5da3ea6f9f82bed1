"""`brwatch metrics`: the Prometheus metrics of `/metrics`, for hosts that run no web app.

With ``--listen ADDR`` it serves them (same access rule as `brwatch serve`: the bearer token
from BRWATCH_METRICS_TOKEN, or loopback only); without, it prints them once (for a cron job
feeding node_exporter's textfile collector, or a look by hand).
"""

from __future__ import annotations

import argparse
import sys

from brwatch.cli._common import CommandError, console_err, database

DEFAULT_PORT = 9464


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "metrics",
        help="Prometheus metrics read from the database (serve them with --listen)",
        description="The metrics /metrics serves, read from the database at each scrape.",
    )
    parser.add_argument(
        "--listen",
        metavar="ADDR",
        help=f"serve /metrics on HOST:PORT (or PORT, on 127.0.0.1; default port {DEFAULT_PORT})",
    )
    parser.set_defaults(handler=run)


def parse_listen(value: str) -> tuple[str, int]:
    """'9464', ':9464', '0.0.0.0:9464', '[::1]:9464' -> (host, port)."""
    host, sep, port_text = value.strip().rpartition(":")
    if not sep:
        host, port_text = "", value.strip()
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text or DEFAULT_PORT)
    except ValueError:
        raise CommandError(f"--listen {value!r}: the port must be a number") from None
    if not 0 < port < 65536:
        raise CommandError(f"--listen {value!r}: port {port} is out of range")
    return host, port


def run(args: argparse.Namespace) -> int:
    from prometheus_client import generate_latest

    from brwatch.metrics import build_registry, metrics_app, metrics_token

    listen = parse_listen(args.listen) if args.listen else None
    db = database(args)
    registry = build_registry(db, args.sources)
    if listen is None:
        sys.stdout.buffer.write(generate_latest(registry))
        sys.stdout.buffer.flush()
        return 0
    import uvicorn

    host, port = listen
    token = metrics_token()
    access = "bearer token" if token else "loopback only"
    console_err.print(f"brwatch metrics on http://{host}:{port}/metrics ({access})")
    uvicorn.run(
        metrics_app(registry, token),
        host=host,
        port=port,
        log_level="info" if args.verbose else "warning",
    )
    return 0
