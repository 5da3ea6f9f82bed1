"""The one base of brwatch's expected failures.

A `BrwatchError` says, for people, what is wrong and where (the file, the entry, the input):
a bad rules or sources file, a mistyped date, a missing key, a grant that cannot be recorded.
The command line prints it as one line and exits 2 (`brwatch.cli.main`); the web app answers
400 with it (`brwatch.web.errors`). Anything else is a bug and is reported as one.
Each package keeps its own subclass, so callers can still catch just the failures they expect.
"""

from __future__ import annotations


class BrwatchError(Exception):
    """An expected failure whose message is meant for the user."""
