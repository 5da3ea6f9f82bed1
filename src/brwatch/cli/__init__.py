"""The `brwatch` command. Each verb is one module in this package exposing ``register``.

A verb module defines ``register(commands)``, where ``commands`` is the argparse sub-parser
collection; it adds its parser and sets ``handler`` to a function ``(args) -> int`` (exit code).
Modules whose names start with ``_`` are helpers, not verbs. Only the verb being run is
imported (verbs pull in heavy libraries); ``brwatch --help`` imports them all to list them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy.exc import DBAPIError

from brwatch import __version__
from brwatch.cli._common import EXIT_BAD_INPUT, CommandError, console_err, safe
from brwatch.errors import BrwatchError

# Global options that take a value, so the verb can be found without parsing.
_VALUED_OPTIONS = ("--db", "--sources")


def _verb_modules() -> list[str]:
    package = sys.modules[__name__]
    names = (m.name for m in pkgutil.iter_modules(package.__path__))
    return sorted(name for name in names if not name.startswith("_"))


def _invoked_verb(argv: Sequence[str]) -> str | None:
    """The module name of the verb on the command line, if there is one."""
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUED_OPTIONS:
            next(tokens, None)
        elif not token.startswith("-"):
            return token.replace("-", "_")
    return None


def _add_global_options(parser: argparse.ArgumentParser, *, after_verb: bool) -> None:
    """--db, --sources and -v. After the verb they default to "not given", so a value given
    before the verb stands unless repeated after it (``brwatch export --db URL`` works too)."""
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if after_verb else {}
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (env BRWATCH_DB_URL; default sqlite:///brwatch.db)",
        **unset,
    )
    parser.add_argument(
        "--sources",
        metavar="FILE",
        help="sources file (env BRWATCH_SOURCES; default: the bundled one)",
        **unset,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="more logging (-vv: debug)",
        **(unset or {"default": 0}),
    )


def _verb_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every sub-command parser below ``parser`` (``users``, ``users add``, …)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *_verb_parsers(child)]
    return found


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brwatch",
        description="Watch Belt and Road news; decide, before reuse, whether it may be reprinted.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="the version and backends")
    _add_global_options(parser, after_verb=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    verbs = _verb_modules()
    invoked = _invoked_verb(argv if argv is not None else sys.argv[1:])
    for name in [invoked] if invoked in verbs else verbs:
        importlib.import_module(f"{__name__}.{name}").register(commands)
    for verb_parser in _verb_parsers(parser):
        _add_global_options(verb_parser, after_verb=True)
    return parser


def _stdout_closed() -> int:
    """The reader of our output went away (``| head -1``): not an error. Point stdout at
    /dev/null so the interpreter's last flush does not complain either."""
    with suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


class _Version(argparse.Action):
    """--version: brwatch's version and the backends this process chose (settings)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from brwatch.rights.hints import SCANNER_NAME
        from brwatch.rights.reader import configured_reader

        print(
            f"brwatch {__version__} (rights page reader: {configured_reader()}; "
            f"markup hints: {SCANNER_NAME})"
        )
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except DBAPIError as exc:
        # Whatever the verb: a database that refuses (read-only, full, gone) is a message and
        # exit 2, not a traceback.
        console_err.print(
            f"[bold red]error:[/] the database refused: {safe(exc.orig or exc)}",
            highlight=False,
        )
        return EXIT_BAD_INPUT
    except BrwatchError as exc:
        # Every expected failure, from any package, is translated here once. Messages quote
        # files, rules, sources and stored data: never Rich markup, nor a terminal control
        # character.
        console_err.print(f"[bold red]error:[/] {safe(str(exc))}", highlight=False)
        return exc.exit_code if isinstance(exc, CommandError) else EXIT_BAD_INPUT
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        console_err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
