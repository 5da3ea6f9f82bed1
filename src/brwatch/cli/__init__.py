"""The `brwatch` command. Each verb is one module in this package exposing ``register``.

A verb module defines ``register(commands)``, where ``commands`` is the argparse sub-parser
collection; it adds its parser and sets ``handler`` to a function ``(args) -> int`` (exit code).
Modules whose names start with ``_`` are helpers, not verbs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from brwatch import __version__
from brwatch.cli._common import CommandError, console_err


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brwatch",
        description="Watch Belt and Road news; decide, before reuse, whether it may be reprinted.",
    )
    parser.add_argument("--version", action="version", version=f"brwatch {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (env BRWATCH_DB_URL; default sqlite:///brwatch.db)",
    )
    parser.add_argument(
        "--sources",
        metavar="FILE",
        help="sources file (env BRWATCH_SOURCES; default: the bundled one)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    package = sys.modules[__name__]
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        console_err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
