"""`brwatch serve`: the review web app and JSON API on the same database as the crawler."""

from __future__ import annotations

import argparse

from brwatch.cli._common import console, database


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
    import uvicorn

    from brwatch.storage.statistics import refresh_statistics
    from brwatch.web import WebSettings, create_app

    settings = WebSettings.load(port=args.port, secure_cookies=args.secure_cookies or None)
    port = settings.port
    db = database(args)
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
