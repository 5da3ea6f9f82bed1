"""What every verb shares: consoles, the database from the global options, clean failures."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from brwatch.storage import Database, DatabaseError, open_database

console = Console(highlight=False)
# Messages stay one line each when stderr is a file or a pipe (logs, scripts grepping them).
console_err = Console(stderr=True, highlight=False, soft_wrap=True)

# Exit codes: 0 done, 1 the answer is "no" (reuse-check, rules test), 2 bad input or setup.
EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """An expected failure: printed as one clear line, exit code chosen by the verb."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def database(args: argparse.Namespace) -> Database:
    """Open (and migrate) the database named by --db / BRWATCH_DB_URL, or fail clearly."""
    try:
        return open_database(getattr(args, "db", None))
    except DatabaseError as exc:
        raise CommandError(str(exc)) from exc


def print_json_line(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
