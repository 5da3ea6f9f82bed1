"""Every scheduler setting and its default, in one place.

Each setting can be given as an environment variable (``BRWATCH_SCHEDULE_<NAME>``, e.g.
``BRWATCH_SCHEDULE_CRAWL_TIME_LIMIT=1800``) or as a ``brwatch schedule --<name>`` option; the
option wins. docs/scheduling.md lists them all (a test checks that it does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

ENV_PREFIX = "BRWATCH_SCHEDULE_"
# The real crawl of one source; {python} is this interpreter, {source} the source's name.
# -P: the scheduler's working directory is not put first on the child's sys.path, where a
# folder named "brwatch" would shadow the installed package.
DEFAULT_CRAWL_COMMAND = "{python} -P -m brwatch.cli crawl --source {source} --trigger schedule"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class SchedulerSettings:
    # What runs and when.
    crawl_command: str = _setting(
        DEFAULT_CRAWL_COMMAND,
        "command run in a child process for one crawl of one source ({python}, {source})",
    )
    default_schedule: str = _setting("every 6h", "schedule of sources whose entry has none")
    timezone: str = _setting("UTC", "time zone of cron schedules")
    jitter: float = _setting(
        60.0, "seconds of random delay added to each fire (at most a fifth of the period)"
    )
    misfire_grace_time: float = _setting(
        600.0, "seconds a missed fire may still start late (missed fires are coalesced into one)"
    )
    max_parallel_crawls: int = _setting(4, "crawls (of different sources) running at once")
    # Child processes.
    crawl_time_limit: float = _setting(3600.0, "seconds a crawl may run before it is killed")
    kill_grace: float = _setting(10.0, "seconds between SIGTERM and SIGKILL when stopping a child")
    stop_grace: float = _setting(
        60.0, "on SIGTERM/SIGINT, seconds running crawls get to finish before they are stopped"
    )
    log_tail_chars: int = _setting(4000, "characters of a child's output kept with its run")
    # Cross-process guard.
    lease_ttl: float = _setting(
        120.0, "seconds a job's lease lasts without renewal (a dead scheduler's lease expires)"
    )
    # Sources file and database.
    reload_interval: float = _setting(5.0, "seconds between checks of the sources file for edits")
    db_retry_for: float = _setting(
        120.0, "seconds a lost database connection is retried before the operation is abandoned"
    )
    # Other recurring work; "off" disables a job.
    attribution_recheck_every: str = _setting(
        "every 1d", "how often attribution links are rechecked"
    )
    attribution_recheck_command: str = _setting(
        "{python} -P -m brwatch.cli attribution check", "command of the attribution recheck job"
    )
    # Cheap when the rules did not change: only verdicts from an older ruleset are redone.
    rights_recheck_every: str = _setting(
        "every 1h", "how often stale rights verdicts are re-evaluated after a rules change"
    )
    rights_recheck_command: str = _setting(
        "{python} -P -m brwatch.cli recheck", "command of the rights re-evaluation job"
    )
    # In a child process of its own: a mail or webhook server that is down or slow holds up
    # nothing but the notifications (docs/notifications.md).
    notifications_every: str = _setting(
        "every 10m", "how often notifications are queued and the due digests sent"
    )
    notifications_command: str = _setting(
        "{python} -m brwatch.cli notify send", "command of the notification job"
    )
    maintenance_time_limit: float = _setting(3600.0, "seconds a recheck job may run")
    # Monitoring thresholds (see brwatch.schedule.monitor).
    flag_empty_runs: int = _setting(3, "flag a source whose last N finished runs yielded no items")
    flag_error_rate: float = _setting(
        0.5, "flag a source whose errors / (pages + errors) over the error window exceeds this"
    )
    flag_error_window: int = _setting(5, "runs the error rate is computed over")
    flag_drop_ratio: float = _setting(
        0.25, "flag a source whose last run yielded fewer items than this share of its median"
    )
    flag_history: int = _setting(10, "earlier successful runs the median item count comes from")
    flag_min_history: int = _setting(3, "earlier successful runs needed before drops are judged")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def help_for(cls, name: str) -> str:
        return next(f.metadata["help"] for f in fields(cls) if f.name == name)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SchedulerSettings:
        environ = os.environ if environ is None else environ
        values = {
            f.name: environ[ENV_PREFIX + f.name.upper()]
            for f in fields(cls)
            if ENV_PREFIX + f.name.upper() in environ
        }
        return cls().with_values(values)

    def with_values(self, values: Mapping[str, Any]) -> SchedulerSettings:
        """A copy with some settings replaced; text values are converted and checked."""
        converted: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in values or values[f.name] is None:
                continue
            kind: type[Any] = type(f.default)
            try:
                value = kind(values[f.name])
            except (TypeError, ValueError):
                raise ValueError(
                    f"setting {f.name}: {values[f.name]!r} is not a {kind.__name__}"
                ) from None
            if kind in (int, float) and value < 0:
                raise ValueError(f"setting {f.name}: must not be negative, got {value}")
            converted[f.name] = value
        return replace(self, **converted)
