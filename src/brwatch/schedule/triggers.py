"""APScheduler triggers from the sources' parsed schedules, with jitter and a known period.

The period (shortest gap between two fires) lets the cross-process guard tell a duplicate fire
of one slot from the next legitimate fire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from brwatch.sources import TriggerSpec

# Jitter never exceeds this share of the period, so a jittered fire stays clear of the next one.
MAX_JITTER_SHARE = 0.2


def period_seconds(spec: TriggerSpec, timezone: str, samples: int = 6) -> float:
    """The shortest gap between upcoming fires (the interval itself for intervals)."""
    if spec.kind == "interval":
        return float(spec.value)
    trigger = CronTrigger(**spec.value, timezone=timezone)
    now = datetime.now(trigger.timezone)
    fires: list[datetime] = []
    previous = None
    for _ in range(samples):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        fires.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(fires)]
    return min(gaps) if gaps else 86400.0


def build_trigger(
    spec: TriggerSpec, timezone: str, jitter: float = 0, start: datetime | None = None
) -> BaseTrigger:
    """The trigger of one job; an interval job first fires at ``start`` (default: a period on)."""
    capped = int(min(jitter, period_seconds(spec, timezone) * MAX_JITTER_SHARE)) or None
    if spec.kind == "interval":
        return IntervalTrigger(
            seconds=spec.value, start_date=start, timezone=timezone, jitter=capped
        )
    return CronTrigger(**spec.value, timezone=timezone, jitter=capped)
