"""What every verb shares: consoles, the database from the global options, clean failures."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from brwatch.errors import BrwatchError
from brwatch.storage import Database, open_database

console = Console(highlight=False)
# Messages stay one line each when stderr is a file or a pipe (logs, scripts grepping them).
console_err = Console(stderr=True, highlight=False, soft_wrap=True)

# Exit codes: 0 done, 1 the answer is "no" (reuse-check, rules test), 2 bad input or setup.
EXIT_BAD_INPUT = 2


class CommandError(BrwatchError):
    """An expected failure: printed as one clear line, exit code chosen by the verb."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def database(args: argparse.Namespace) -> Database:
    """Open (and migrate) the database named by --db / BRWATCH_DB_URL, or fail clearly."""
    return open_database(getattr(args, "db", None))


# Characters that drive a terminal instead of showing: C0 and C1 controls and DEL (escape
# sequences move the cursor, recolour, retitle the window, forge hyperlinks) and the bidi
# overrides that reorder what is shown. Newline and tab stay.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# JSON escapes C0 controls itself; these it writes raw.
_JSON_RAW_CONTROLS = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``text`` without terminal control characters."""
    return _TERMINAL_CONTROLS.sub("", str(text))


def safe(text: object) -> str:
    """Text from a page, a file or a user, for rich: control characters removed, markup escaped."""
    return escape(printable(text))


def print_json_line(obj: Any) -> None:
    line = json.dumps(obj, ensure_ascii=False, default=str)
    # Still the same JSON value: inside strings, \uXXXX is what these characters mean.
    line = _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
