"""A source's `schedule`: a 5-field crontab line or an interval such as "every 6h".

Parsed once at load time into a `TriggerSpec` the scheduler turns into an APScheduler trigger,
so a typo in the sources file is refused when the file is read, not hours later when it fires.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_INTERVAL = re.compile(r"^every\s+(\d+)\s*([smhd])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
# crontab counts weekdays from Sunday (0 and 7); APScheduler 3 counts from Monday. Names agree.
_CRONTAB_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TriggerSpec(NamedTuple):
    """("cron", {"minute": …, "hour": …, "day": …, "month": …, "day_of_week": …}) or
    ("interval", seconds)."""

    kind: Literal["cron", "interval"]
    value: Any


_NEVER_AFTER = timedelta(days=8 * 366)


def parse_schedule(text: str) -> TriggerSpec:
    """Parse and validate a schedule; raises ValueError saying what is wrong."""
    text = text.strip()
    interval = _INTERVAL.match(text)
    if interval:
        seconds = int(interval.group(1)) * _UNIT_SECONDS[interval.group(2).lower()]
        if seconds <= 0:
            raise ValueError(f"interval must be longer than zero: {text!r}")
        return TriggerSpec("interval", seconds)
    if text.lower().startswith("every"):
        raise ValueError(f"bad interval {text!r}: write 'every <number><s|m|h|d>', e.g. 'every 6h'")
    values = text.split()
    if len(values) != len(_CRON_FIELDS):
        raise ValueError(
            f"bad schedule {text!r}: expected a 5-field cron line (e.g. '*/30 * * * *') "
            "or an interval (e.g. 'every 6h')"
        )
    fields = dict(zip(_CRON_FIELDS, values, strict=True))
    fields["day_of_week"] = _weekdays_by_name(fields["day_of_week"])
    try:
        CronTrigger(**fields, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron line {text!r}: {exc}") from exc
    # A line every field of which is valid may still name no date at all ("* * 31 2 *"):
    # accepted, the source would silently never run. Eight years cover every leap day.
    now = datetime.now(UTC)
    horizon = CronTrigger(**fields, timezone="UTC", end_date=now + _NEVER_AFTER)
    if horizon.get_next_fire_time(None, now) is None:
        raise ValueError(f"cron line {text!r} never fires: no date matches all its fields")
    return TriggerSpec("cron", fields)


def make_trigger(spec: TriggerSpec, timezone: str = "UTC") -> CronTrigger | IntervalTrigger:
    """The APScheduler trigger for a parsed schedule."""
    if spec.kind == "interval":
        return IntervalTrigger(seconds=spec.value, timezone=timezone)
    return CronTrigger(**spec.value, timezone=timezone)


def _weekdays_by_name(field: str) -> str:
    """Rewrite numeric crontab weekdays as names, so "1-5" means Monday to Friday as in cron."""
    if field == "*" or not any(ch.isdigit() for ch in field):
        return field
    names: list[str] = []
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        if any(ch.isalpha() for ch in base):  # a name range with a step: leave to APScheduler
            names.append(item)
            continue
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise ValueError(f"bad weekday step in {field!r}")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first, last = _weekday_number(first_text, field), _weekday_number(last_text, field)
        else:
            first = last = _weekday_number(base, field)
            if step_text:  # "n/step" in cron means from n to the end of the week
                last = 6
        if last < first or step == 0:
            raise ValueError(f"bad weekday range in {field!r}")
        names.extend(_CRONTAB_WEEKDAYS[day] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(names))


def _weekday_number(text: str, field: str) -> int:
    if not text.isdigit() or int(text) > 7:
        raise ValueError(f"bad weekday {text!r} in {field!r} (0-7, 0 and 7 are Sunday)")
    return int(text)
