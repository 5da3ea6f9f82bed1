"""When a page whose server sends no ETag or Last-Modified is fetched again: by its age.

A corrected article or a notice added later is only seen by fetching the page again, and a
page without validators cannot be asked for conditionally. Recent articles change most, so
they are fetched again often, old ones rarely. The schedule is the crawler setting
``BRWATCH_REFETCH_AFTER`` (docs/crawling.md): ``AGE=INTERVAL`` steps, youngest first, e.g.
``1d=6h, 7d=1d, 30d=7d, 365d=30d, *=180d`` — an article published less than a day ago is
fetched again once its last fetch is 6 hours old, …, anything older every 180 days. ``off``
as an interval (or as the whole setting) means never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from brwatch.errors import BrwatchError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_OLDER = "*"


class RefetchScheduleError(BrwatchError, ValueError):
    """BRWATCH_REFETCH_AFTER cannot be read; the message says where."""


def _duration(text: str, where: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise RefetchScheduleError(
            f"BRWATCH_REFETCH_AFTER: {where}: {text.strip()!r} is not a duration "
            "(a number and one of s, m, h, d, w: 6h, 7d)"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class RefetchSchedule:
    """(age limit, interval) steps, youngest first; None as the limit is "older", as the
    interval "never"."""

    steps: tuple[tuple[timedelta | None, timedelta | None], ...]

    @classmethod
    def parse(cls, text: str | None) -> RefetchSchedule:
        text = (text or "").strip()
        if text.lower() in ("", "off"):
            return cls(())
        steps: list[tuple[timedelta | None, timedelta | None]] = []
        for part in text.split(","):
            age, sep, interval = part.partition("=")
            if not sep:
                raise RefetchScheduleError(
                    f"BRWATCH_REFETCH_AFTER: {part.strip()!r} needs AGE=INTERVAL (e.g. 7d=1d)"
                )
            limit = None if age.strip() == _OLDER else _duration(age, f"age in {part.strip()!r}")
            every = (
                None
                if interval.strip().lower() == "off"
                else _duration(interval, f"interval in {part.strip()!r}")
            )
            if steps and (steps[-1][0] is None or (limit is not None and limit <= steps[-1][0])):
                raise RefetchScheduleError(
                    f"BRWATCH_REFETCH_AFTER: {part.strip()!r}: ages must grow, '*' comes last"
                )
            steps.append((limit, every))
        return cls(tuple(steps))

    def interval(self, age: timedelta | None) -> timedelta | None:
        """How long after its last fetch a page of this age is due (None: not again). An
        unknown age counts as the oldest."""
        for limit, every in self.steps:
            if limit is None or (age is not None and age < limit):
                return every
        return None

    def due(self, born: datetime | None, fetched: datetime | None, now: datetime) -> bool:
        """Whether a page published (or first seen) at ``born`` and last fetched at
        ``fetched`` is to be fetched again ``now``."""
        if fetched is None:
            return bool(self.steps)
        every = self.interval(now - born if born is not None else None)
        return every is not None and now - fetched >= every
