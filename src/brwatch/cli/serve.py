"""`brwatch serve`: the review web app and JSON API on the same database as the crawler."""

from __future__ import annotations

import argparse
import os

from brwatch.cli._common import CommandError, console, database

DEFAULT_PORT = 8000


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the review web app and JSON API")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env BRWATCH_PORT; default 8000)")
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure, for https (env BRWATCH_SECURE_COOKIES=1)",
    )
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-* from a reverse proxy on this machine",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import uvicorn

    from brwatch.storage.statistics import refresh_statistics
    from brwatch.web import WebSettings, create_app

    port = args.port if args.port is not None else _port_from_environment()
    db = database(args)
    settings = WebSettings.from_environment()
    if args.secure_cookies:
        settings = dataclasses.replace(settings, secure_cookies=True)
    refresh_statistics(db)  # a database that never had planner statistics gets them now
    app = create_app(db, settings, sources_path=args.sources)
    console.print(f"brwatch review app on http://{args.host}:{port}/ (database {db.display_url})")
    uvicorn.run(
        app,
        host=args.host,
        port=port,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips="127.0.0.1" if args.proxy_headers else None,
        log_level="info" if args.verbose else "warning",
    )
    return 0


def _port_from_environment() -> int:
    value = os.environ.get("BRWATCH_PORT", "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise CommandError(f"BRWATCH_PORT must be a port number (1-65535), not {value!r}")
    return int(value)
