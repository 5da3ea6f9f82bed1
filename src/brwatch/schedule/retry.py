"""Riding out a lost database connection: retry, log each failure, give up after a while."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def with_db_retry(what: str, operation: Callable[[], T], retry_for: float) -> T:
    """Run ``operation``; on a connection-type error retry with backoff (0.5 s, doubling, at
    most 10 s) for ``retry_for`` seconds, then raise the last error.

    Errors that are not about the connection (a constraint, a bug) are raised at once.
    """

    def logged(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "database unavailable while trying to %s (%s); retrying in %.1fs",
            what,
            _first_line(exc) if exc else "?",
            pause,
        )

    retrying = Retrying(
        retry=retry_if_exception(_is_connection_problem),
        wait=wait_exponential(multiplier=0.5, min=0.5, max=10.0),
        stop=stop_before_delay(retry_for),  # never sleeps past the deadline
        before_sleep=logged,
        reraise=True,
    )
    return retrying(operation)


def _is_connection_problem(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    return isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", False))


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
