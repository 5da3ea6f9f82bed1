"""How fresh each source was over the period, from its crawl runs: runs by outcome, the last
successful run by the end of the period, how stale it was then, and the longest stretch of the
period without a successful run (counted from the last success before the period, if any)."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brwatch.reports.scope import Scope, iso, utc
from brwatch.storage.models import CrawlRun

HOUR = 3600.0


def _hours(seconds: float) -> float:
    return round(seconds / HOUR, 2)


def source_freshness(session: Session, scope: Scope, as_of: datetime) -> dict[str, dict[str, Any]]:
    """Per source: {runs, ok, failed, killed, last_success, hours_stale_at_end,
    longest_gap_hours}; sources chosen for the report that never ran are listed with zeros."""
    period = scope.period
    since = period.since
    runs = select(CrawlRun.source, CrawlRun.status, CrawlRun.finished_at).where(
        CrawlRun.started_at < as_of
    )
    if since is not None:
        runs = runs.where(CrawlRun.started_at >= since)
    if scope.sources:
        runs = runs.where(CrawlRun.source.in_(scope.sources))
    found: dict[str, dict[str, Any]] = {name: _empty() for name in scope.sources or ()}
    successes: dict[str, list[datetime]] = {}
    for source, status, finished in session.execute(runs.order_by(CrawlRun.finished_at)):
        entry = found.setdefault(source, _empty())
        entry["runs"] += 1
        if status in ("ok", "failed", "killed"):
            entry[status] += 1
        if status == "ok" and finished is not None and utc(finished) <= as_of:
            successes.setdefault(source, []).append(utc(finished))
    before: dict[str, datetime] = {}
    if since is not None and found:
        earlier = (
            select(CrawlRun.source, func.max(CrawlRun.finished_at))
            .where(CrawlRun.status == "ok", CrawlRun.finished_at < since)
            .where(CrawlRun.source.in_(list(found)))
            .group_by(CrawlRun.source)
        )
        before = {source: utc(moment) for source, moment in session.execute(earlier) if moment}
    for source, entry in found.items():
        times = sorted(successes.get(source, []))
        last = times[-1] if times else before.get(source)
        entry["last_success"] = iso(last)
        entry["hours_stale_at_end"] = _hours((as_of - last).total_seconds()) if last else None
        start = before.get(source) or since
        points = ([start] if start else []) + times + [as_of]
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(points)]
        entry["longest_gap_hours"] = _hours(max(gaps)) if gaps else None
    return dict(sorted(found.items()))


def _empty() -> dict[str, Any]:
    return {"runs": 0, "ok": 0, "failed": 0, "killed": 0}
