"""Scheduled crawling: the `brwatch schedule` daemon, run history and source monitoring.

- `run_scheduler(db, sources_path, settings)` runs the daemon until SIGTERM/SIGINT.
- `SchedulerSettings` holds every setting and its default (`settings.py`).
- `current_flags(db)` lists the monitoring flags raised on sources (for the web app).
- `recent_runs(db, source, limit)` and `run_json(run)` read the crawl history.
- `stored_jobs(db)` lists the jobs in the shared job store and their next fire times.
"""

from brwatch.schedule.daemon import ScheduleSetupError, StoredJob, run_scheduler, stored_jobs
from brwatch.schedule.monitor import Flag, current_flags
from brwatch.schedule.records import recent_runs, run_json
from brwatch.schedule.settings import SchedulerSettings

__all__ = [
    "Flag",
    "ScheduleSetupError",
    "SchedulerSettings",
    "StoredJob",
    "current_flags",
    "recent_runs",
    "run_json",
    "run_scheduler",
    "stored_jobs",
]
