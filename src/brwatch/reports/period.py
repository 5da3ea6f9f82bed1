"""The report period: parsing --since/--until and turning them into a half-open UTC interval.

A bare date means a whole day: ``since=2026-10-01`` starts at that midnight and
``until=2026-10-31`` includes all of 31 October (the bound becomes 1 November, 00:00 UTC).
Times without a zone are taken as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from brwatch.reports.model import ReportError

Moment = date | datetime | str | None


def _parse(value: Moment, name: str, *, end_of_day: bool) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ReportError(
                f"{name}: cannot read {text!r} as a date; use YYYY-MM-DD or an ISO 8601 time"
            ) from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        start = datetime.combine(value, time.min, tzinfo=UTC)
        if end_of_day and value == date.max:  # the next midnight does not exist
            return datetime.max.replace(tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    raise ReportError(f"{name}: expected a date, got {type(value).__name__}")


@dataclass(frozen=True)
class Period:
    """Articles count when ``since <= first seen < until``; ``since`` None is "from the start"."""

    since: datetime | None
    until: datetime

    @classmethod
    def parse(cls, since: Moment, until: Moment, now: datetime) -> Period:
        start = _parse(since, "since", end_of_day=False)
        end = _parse(until, "until", end_of_day=True) or now
        if start is not None and end <= start:
            shown = until if until is not None else f"now, {now.isoformat()}"
            raise ReportError(f"until ({shown}) is before since ({since}): the period is empty")
        return cls(start, end)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
        }
