"""Riding out a lost database connection: retry, log each failure, give up after a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")


def with_db_retry(what: str, operation: Callable[[], T], retry_for: float) -> T:
    """Run ``operation``; on a connection-type error retry with backoff for ``retry_for`` seconds.

    Errors that are not about the connection (a constraint, a bug) are raised at once.
    """
    give_up_at = time.monotonic() + retry_for
    pause = 0.5
    while True:
        try:
            return operation()
        except (OperationalError, DBAPIError) as exc:
            if not _is_connection_problem(exc) or time.monotonic() + pause > give_up_at:
                raise
            log.warning(
                "database unavailable while trying to %s (%s); retrying in %.1fs",
                what,
                _first_line(exc),
                pause,
            )
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


def _is_connection_problem(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", False))


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
