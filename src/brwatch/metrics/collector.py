"""The metrics, read from the database at scrape time, so every process and host that serves
them reports the same numbers. docs/operations.md lists each metric and its labels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Date, and_, cast, func, select
from sqlalchemy.orm import Session

from brwatch.metrics.runs import RunTotalsCache
from brwatch.provenance.reuse import refresh_stale
from brwatch.schedule.heartbeats import ALIVE_WITHIN, heartbeats
from brwatch.settings import CoreSettings
from brwatch.storage import Database
from brwatch.storage.flagged import flagged_clause
from brwatch.storage.models import (
    Article,
    AttributionCheck,
    CrawlRun,
    NotificationDelivery,
    SourceFlag,
)

log = logging.getLogger(__name__)
NOT_CHECKED = "not_checked"
ROLES = ("scheduler", "worker")
# Days of verdicts by status shown per day (today included).
VERDICT_DAYS = 7


def _seconds(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return moment.timestamp()


def _day_of(session: Session, column: Any) -> Any:
    """The UTC calendar day of a stored time, in each backend's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)  # SQLite stores 'YYYY-MM-DD HH:MM:SS' in UTC


class SchedulePeriods:
    """Each configured source's schedule period, from the sources file (re-read when it changes).

    A source stale for three periods is the alert docs/operations.md suggests; the period is
    the shortest gap between two fires of the source's schedule.
    """

    def __init__(self, sources_option: str | None = None) -> None:
        self.sources_option = sources_option
        self._state: tuple[Path, int, int] | None = None
        self._periods: dict[str, float] = {}
        self.loaded = False

    def read(self) -> dict[str, float]:
        from brwatch.schedule.settings import SchedulerSettings
        from brwatch.schedule.triggers import period_seconds
        from brwatch.sources import SourcesError, load_sources, parse_schedule, resolve_sources_path

        path = resolve_sources_path(self.sources_option)
        try:
            stat = path.stat()
        except OSError as exc:
            log.warning("metrics: sources file %s unreadable: %s", path, exc)
            self.loaded = False
            return {}
        state = (path, stat.st_mtime_ns, stat.st_size)
        if state == self._state:
            return self._periods
        settings = SchedulerSettings.load()
        try:
            sources = load_sources(path)
            default = parse_schedule(settings.default_schedule)
            self._periods = {
                source.name: period_seconds(source.trigger_spec or default, settings.timezone)
                for source in sources
            }
            self.loaded = True
        except (SourcesError, ValueError) as exc:
            log.warning("metrics: sources file %s refused: %s", path, exc)
            self._periods, self.loaded = {}, False
        self._state = state
        return self._periods


class BrwatchCollector(Collector):
    """Every brwatch metric, one database session per scrape."""

    def __init__(self, db: Database, sources_option: str | None = None) -> None:
        self.db = db
        self.periods = SchedulePeriods(sources_option)
        self.run_totals = RunTotalsCache()

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        sections: list[Callable[[Session, datetime], list[Metric]]] = [
            self._sources,
            self._runs,
            self._queue,
            self._verdicts,
            self._attribution,
            self._notifications,
        ]
        # The same reuse verdict the queue shows (two index lookups when none is stale).
        refresh_stale(self.db)
        with self.db.session() as session:
            for section in sections:
                yield from section(session, now)
        yield from self._liveness(now)

    # -- sources and runs ------------------------------------------------------------------------

    def _sources(self, session: Session, now: datetime) -> list[Metric]:
        last_ok = GaugeMetricFamily(
            "brwatch_source_last_success_timestamp_seconds",
            "When the source's newest successful crawl run finished (Unix time).",
            labels=["source"],
        )
        for source, finished in session.execute(
            select(CrawlRun.source, func.max(CrawlRun.finished_at))
            .where(CrawlRun.status == "ok")
            .group_by(CrawlRun.source)
        ):
            last_ok.add_metric([source], _seconds(finished))
        newest = (
            select(func.max(CrawlRun.id))
            .where(CrawlRun.status != "running")
            .group_by(CrawlRun.source)
            .scalar_subquery()
        )
        last_pages = GaugeMetricFamily(
            "brwatch_source_last_run_pages",
            "Pages fetched by the source's newest finished run.",
            labels=["source"],
        )
        last_items = GaugeMetricFamily(
            "brwatch_source_last_run_items",
            "Articles stored by the source's newest finished run.",
            labels=["source"],
        )
        last_end = GaugeMetricFamily(
            "brwatch_source_last_run_timestamp_seconds",
            "When the source's newest finished run (any outcome) finished (Unix time).",
            labels=["source"],
        )
        for source, pages, items, finished in session.execute(
            select(CrawlRun.source, CrawlRun.pages, CrawlRun.items, CrawlRun.finished_at).where(
                CrawlRun.id.in_(newest)
            )
        ):
            last_pages.add_metric([source], pages or 0)
            last_items.add_metric([source], items or 0)
            last_end.add_metric([source], _seconds(finished))
        period = GaugeMetricFamily(
            "brwatch_source_schedule_period_seconds",
            "Shortest gap between two scheduled crawls of the source (from the sources file).",
            labels=["source"],
        )
        for source, seconds in sorted(self.periods.read().items()):
            period.add_metric([source], seconds)
        loaded = GaugeMetricFamily(
            "brwatch_sources_file_loaded",
            "1 when the sources file could be read for the schedule periods, else 0.",
            value=1 if self.periods.loaded else 0,
        )
        flags = GaugeMetricFamily(
            "brwatch_source_flags",
            "Monitoring flags raised on a source now (no items, error rate, item drop).",
            labels=["source", "kind"],
        )
        for source, kind in session.execute(select(SourceFlag.source, SourceFlag.kind)):
            flags.add_metric([source, kind], 1)
        return [last_ok, last_end, last_pages, last_items, period, loaded, flags]

    def _runs(self, session: Session, now: datetime) -> list[Metric]:
        totals = self.run_totals.totals(session, now)
        runs = CounterMetricFamily(
            "brwatch_crawl_runs",
            "Finished crawl runs by outcome (ok, failed, killed).",
            labels=["source", "status"],
        )
        for (source, status), n in sorted(totals.runs.items()):
            runs.add_metric([source, status], n)
        pages = CounterMetricFamily(
            "brwatch_crawl_pages", "Pages fetched by finished runs.", labels=["source"]
        )
        for source, n in sorted(totals.pages.items()):
            pages.add_metric([source], n)
        items = CounterMetricFamily(
            "brwatch_crawl_items", "Articles stored by finished runs.", labels=["source"]
        )
        for source, n in sorted(totals.items.items()):
            items.add_metric([source], n)
        errors = CounterMetricFamily(
            "brwatch_crawl_errors",
            "Errors of finished runs by kind (dns, connect, timeout, http_5xx, parse, store, …).",
            labels=["source", "kind"],
        )
        for (source, kind), n in sorted(totals.errors.items()):
            errors.add_metric([source, kind], n)
        running = GaugeMetricFamily(
            "brwatch_crawl_runs_running", "Crawl runs under way now.", labels=["source"]
        )
        for source, n in session.execute(
            select(CrawlRun.source, func.count())
            .where(CrawlRun.status == "running")
            .group_by(CrawlRun.source)
        ):
            running.add_metric([source], n)
        return [runs, pages, items, errors, running]

    # -- review queue, verdicts, attribution ----------------------------------------------------

    def _queue(self, session: Session, now: datetime) -> list[Metric]:
        pending = and_(
            flagged_clause(), Article.relevant.is_(True), Article.review_state == "pending"
        )
        queue = GaugeMetricFamily(
            "brwatch_review_queue_items",
            "Flagged articles waiting for a decision, by reuse verdict status.",
            labels=["status"],
        )
        for status, n in session.execute(
            select(Article.reuse_status, func.count()).where(pending).group_by(Article.reuse_status)
        ):
            queue.add_metric([status or NOT_CHECKED], n)
        oldest = session.scalar(select(func.min(Article.first_seen_at)).where(pending))
        age = GaugeMetricFamily(
            "brwatch_review_queue_oldest_pending_age_seconds",
            "How long the oldest flagged article has waited for a decision (0: queue empty).",
            value=max(0.0, now.timestamp() - _seconds(oldest)) if oldest else 0.0,
        )
        return [queue, age]

    def _verdicts(self, session: Session, now: datetime) -> list[Metric]:
        articles = GaugeMetricFamily(
            "brwatch_articles",
            "Stored articles by source and reuse verdict status.",
            labels=["source", "status"],
        )
        for source, status, n in session.execute(
            select(Article.source, Article.reuse_status, func.count()).group_by(
                Article.source, Article.reuse_status
            )
        ):
            articles.add_metric([source, status or NOT_CHECKED], n)
        first_day = now.date() - timedelta(days=VERDICT_DAYS - 1)
        day = _day_of(session, Article.fetched_at).label("day")
        per_day = GaugeMetricFamily(
            "brwatch_verdicts_by_day",
            f"Articles fetched on each of the last {VERDICT_DAYS} days (UTC) by reuse status.",
            labels=["day", "status"],
        )
        since = datetime.combine(first_day, time.min, tzinfo=UTC)
        for fetched_day, status, n in session.execute(
            select(day, Article.reuse_status, func.count())
            .where(Article.fetched_at >= since)
            .group_by(day, Article.reuse_status)
        ):
            iso = fetched_day.isoformat() if isinstance(fetched_day, date) else str(fetched_day)
            per_day.add_metric([iso[:10], status or NOT_CHECKED], n)
        return [articles, per_day]

    def _attribution(self, session: Session, now: datetime) -> list[Metric]:
        links = GaugeMetricFamily(
            "brwatch_attribution_links",
            "Relevant articles by the outcome of their attribution link check.",
            labels=["outcome"],
        )
        for outcome, n in session.execute(
            select(Article.attribution_link, func.count())
            .where(Article.relevant.is_(True))
            .group_by(Article.attribution_link)
        ):
            links.add_metric([outcome or NOT_CHECKED], n)
        checks = CounterMetricFamily(
            "brwatch_attribution_checks",
            "Attribution link checks made, by outcome.",
            labels=["outcome"],
        )
        for outcome, n in session.execute(
            select(AttributionCheck.outcome, func.count()).group_by(AttributionCheck.outcome)
        ):
            checks.add_metric([outcome], n)
        return [links, checks]

    def _notifications(self, session: Session, now: datetime) -> list[Metric]:
        deliveries = GaugeMetricFamily(
            "brwatch_notifications",
            "Notifications by channel and state (pending ones wait for their next attempt).",
            labels=["channel", "status"],
        )
        for channel, status, n in session.execute(
            select(
                NotificationDelivery.channel, NotificationDelivery.status, func.count()
            ).group_by(NotificationDelivery.channel, NotificationDelivery.status)
        ):
            deliveries.add_metric([channel, status], n)
        return [deliveries]

    # -- liveness --------------------------------------------------------------------------------

    def _liveness(self, now: datetime) -> list[Metric]:
        beats = GaugeMetricFamily(
            "brwatch_process_heartbeat_timestamp_seconds",
            "Last heartbeat of each scheduler and worker process (Unix time).",
            labels=["role", "name", "host"],
        )
        alive = dict.fromkeys(ROLES, 0)
        for row in heartbeats(self.db):
            beats.add_metric([row.role, row.name, row.host or ""], _seconds(row.seen_at))
            if now.timestamp() - _seconds(row.seen_at) <= ALIVE_WITHIN:
                alive[row.role] = alive.get(row.role, 0) + 1
        live = GaugeMetricFamily(
            "brwatch_processes_alive",
            f"Processes whose last heartbeat is under {ALIVE_WITHIN:g}s old, by role.",
            labels=["role"],
        )
        for role, n in sorted(alive.items()):
            live.add_metric([role], n)
        return [beats, live]


def build_registry(db: Database, sources_option: str | None = None) -> CollectorRegistry:
    """A registry of brwatch's metrics only (not the process's own: a scrape is about brwatch)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BrwatchCollector(db, sources_option))
    return registry


def metrics_token() -> str | None:
    return CoreSettings.load().metrics_token
