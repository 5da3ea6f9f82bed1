"""Every scheduler setting and its default, in one place (a group of brwatch.settings).

Each setting can be given as an environment variable (``BRWATCH_SCHEDULE_<NAME>``, e.g.
``BRWATCH_SCHEDULE_CRAWL_TIME_LIMIT=1800``) or as a ``brwatch schedule --<name>`` option; the
option wins. docs/settings.md lists them all (generated from this class).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from brwatch.settings import SettingsGroup, setting

ENV_PREFIX = "BRWATCH_SCHEDULE_"
# The real crawl of one source; {python} is this interpreter, {source} the source's name.
# -P: the scheduler's working directory is not put first on the child's sys.path, where a
# folder named "brwatch" would shadow the installed package.
DEFAULT_CRAWL_COMMAND = "{python} -P -m brwatch.cli crawl --source {source} --trigger schedule"


class SchedulerSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    title: ClassVar[str] = "Scheduler"
    about: ClassVar[str] = (
        "Read by `brwatch schedule`; each is also an option, `brwatch schedule --<name>`, "
        "which wins over the variable (docs/scheduling.md)."
    )

    # What runs and when.
    crawl_command: str = setting(
        DEFAULT_CRAWL_COMMAND,
        "command run in a child process for one crawl of one source ({python}, {source})",
    )
    default_schedule: str = setting("every 6h", "schedule of sources whose entry has none")
    timezone: str = setting("UTC", "time zone of cron schedules")
    jitter: float = setting(
        60.0, "seconds of random delay added to each fire (at most a fifth of the period)"
    )
    misfire_grace_time: float = setting(
        600.0, "seconds a missed fire may still start late (missed fires are coalesced into one)"
    )
    max_parallel_crawls: int = setting(4, "crawls (of different sources) running at once")
    # Child processes.
    crawl_time_limit: float = setting(3600.0, "seconds a crawl may run before it is killed")
    kill_grace: float = setting(10.0, "seconds between SIGTERM and SIGKILL when stopping a child")
    stop_grace: float = setting(
        60.0, "on SIGTERM/SIGINT, seconds running crawls get to finish before they are stopped"
    )
    log_tail_chars: int = setting(4000, "characters of a child's output kept with its run")
    # Cross-process guard.
    lease_ttl: float = setting(
        120.0, "seconds a job's lease lasts without renewal (a dead scheduler's lease expires)"
    )
    # Sources file and database.
    reload_interval: float = setting(5.0, "seconds between checks of the sources file for edits")
    db_retry_for: float = setting(
        120.0, "seconds a lost database connection is retried before the operation is abandoned"
    )
    # Other recurring work; "off" disables a job.
    attribution_recheck_every: str = setting(
        "every 1d", "how often attribution links are rechecked"
    )
    attribution_recheck_command: str = setting(
        "{python} -P -m brwatch.cli attribution check", "command of the attribution recheck job"
    )
    # Cheap when the rules did not change: only verdicts from an older ruleset are redone.
    rights_recheck_every: str = setting(
        "every 1h", "how often stale rights verdicts are re-evaluated after a rules change"
    )
    rights_recheck_command: str = setting(
        "{python} -P -m brwatch.cli recheck", "command of the rights re-evaluation job"
    )
    # In a child process of its own: a mail or webhook server that is down or slow holds up
    # nothing but the notifications (docs/notifications.md).
    notifications_every: str = setting(
        "every 10m", "how often notifications are queued and the due digests sent"
    )
    notifications_command: str = setting(
        "{python} -m brwatch.cli notify send", "command of the notification job"
    )
    maintenance_time_limit: float = setting(3600.0, "seconds a recheck job may run")
    # Monitoring thresholds (see brwatch.schedule.monitor).
    flag_empty_runs: int = setting(3, "flag a source whose last N finished runs yielded no items")
    flag_error_rate: float = setting(
        0.5, "flag a source whose errors / (pages + errors) over the error window exceeds this"
    )
    flag_error_window: int = setting(5, "runs the error rate is computed over")
    flag_drop_ratio: float = setting(
        0.25, "flag a source whose last run yielded fewer items than this share of its median"
    )
    flag_history: int = setting(10, "earlier successful runs the median item count comes from")
    flag_min_history: int = setting(3, "earlier successful runs needed before drops are judged")
