"""Crawl-run totals for the counters (runs by outcome, pages, items, errors by kind).

Errors by kind live in each run's JSON, which no portable SQL sums, so the totals are added up
in Python. A finished run never changes, so runs started before a cut-off two days back are
summed once per cut-off (once a day per process) and only the newer ones on every scrape: a
year of half-hourly runs of 30 sources costs one pass a day, not one per scrape. Runs that end
after their day was summed join at the next cut-off, so the totals only ever grow.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.storage.models import CrawlRun

# Runs may take a day to finish and still be counted on time.
RECENT = timedelta(days=2)
STREAM_BATCH = 2000


@dataclass
class RunTotals:
    runs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, status)
    pages: Counter[str] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, kind)

    def add_run(self, source: str, status: str, pages: int, items: int, errors: Any) -> None:
        self.runs[source, status] += 1
        self.pages[source] += pages or 0
        self.items[source] += items or 0
        for kind, count in (errors or {}).items():
            if isinstance(count, int | float) and not isinstance(count, bool):
                self.errors[source, str(kind)] += int(count)

    def plus(self, other: RunTotals) -> RunTotals:
        return RunTotals(
            self.runs + other.runs,
            self.pages + other.pages,
            self.items + other.items,
            self.errors + other.errors,
        )


class RunTotalsCache:
    """Totals over every finished run, with the old ones summed once per cut-off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cutoff: datetime | None = None
        self._base = RunTotals()

    def totals(self, session: Session, now: datetime) -> RunTotals:
        cutoff = datetime.combine((now - RECENT).date(), time.min, tzinfo=now.tzinfo)
        with self._lock:
            if self._cutoff != cutoff:
                self._base = _sum_runs(session, CrawlRun.started_at < cutoff)
                self._cutoff = cutoff
            base = self._base
        return base.plus(_sum_runs(session, CrawlRun.started_at >= cutoff))


def _sum_runs(session: Session, when: Any) -> RunTotals:
    totals = RunTotals()
    query = select(
        CrawlRun.source, CrawlRun.status, CrawlRun.pages, CrawlRun.items, CrawlRun.errors
    ).where(when, CrawlRun.status != "running")
    for row in session.execute(query.execution_options(yield_per=STREAM_BATCH)):
        totals.add_run(*row)
    return totals
