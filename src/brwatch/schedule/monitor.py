"""Source monitoring: flags a source that yields nothing, fails too often, suddenly yields far
less than usual, judged against its own run history (thresholds are scheduler settings), or
whose last run was cut short by a crawl cap (a sitemap or listing bigger than the cap allows).

Flags live in `SourceFlag` (one per source and kind) until the condition clears; the scheduler
re-evaluates a source after each of its runs, `brwatch runs` shows the flags, and the web app
reads them with `current_flags(db)`.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from brwatch.schedule.records import as_utc, finished_runs
from brwatch.schedule.settings import SchedulerSettings
from brwatch.storage import Database
from brwatch.storage.frontier import describe_left_out, left_out
from brwatch.storage.models import CrawlRun, SourceFlag, utcnow

log = logging.getLogger(__name__)

NO_ITEMS = "no_items"
ERROR_RATE = "error_rate"
ITEM_DROP = "item_drop"
CAPPED = "capped"
FLAG_KINDS = (NO_ITEMS, ERROR_RATE, ITEM_DROP, CAPPED)


@dataclass(frozen=True)
class Flag:
    source: str
    kind: str
    detail: str
    raised_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        raised = as_utc(self.raised_at)
        return {
            "source": self.source,
            "kind": self.kind,
            "detail": self.detail,
            "raised_at": raised.isoformat() if raised else None,
        }


def judge(runs: Sequence[CrawlRun], settings: SchedulerSettings) -> list[Flag]:
    """The flags a source's finished runs (newest first) deserve; pure, for testing."""
    if not runs:
        return []
    source = runs[0].source
    flags: list[Flag] = []
    empty = settings.flag_empty_runs
    if empty and len(runs) >= empty and all((run.items or 0) == 0 for run in runs[:empty]):
        flags.append(Flag(source, NO_ITEMS, f"no items in the last {empty} runs"))
    window = runs[: settings.flag_error_window]
    # A run that failed or was killed counts as at least one error, even if it fetched nothing.
    errors = sum(max(_error_count(run), 0 if run.status == "ok" else 1) for run in window)
    attempts = sum(run.pages or 0 for run in window) + errors
    if attempts and errors / attempts > settings.flag_error_rate:
        flags.append(
            Flag(
                source,
                ERROR_RATE,
                f"error rate {errors / attempts:.0%} over the last {len(window)} runs "
                f"(threshold {settings.flag_error_rate:.0%})",
            )
        )
    capped = left_out(runs[0].stats)
    if capped:
        # Raised until a run gets through everything: the next runs continue with the rest.
        flags.append(
            Flag(
                source,
                CAPPED,
                f"the last run left out {describe_left_out(capped)}; the next runs continue "
                "with them (raise the cap if this persists)",
            )
        )
    earlier = [run.items or 0 for run in runs[1:] if run.status == "ok"][: settings.flag_history]
    if len(earlier) >= max(settings.flag_min_history, 1):
        usual = statistics.median(earlier)
        latest = runs[0].items or 0
        if usual > 0 and latest < usual * settings.flag_drop_ratio:
            flags.append(
                Flag(
                    source,
                    ITEM_DROP,
                    f"last run yielded {latest} items, usually {usual:g} "
                    f"(median of {len(earlier)} runs; threshold {settings.flag_drop_ratio:.0%})",
                )
            )
    return flags


def _error_count(run: CrawlRun) -> int:
    return sum(
        int(count) for count in (run.errors or {}).values() if isinstance(count, int | float)
    )


def evaluate_source(db: Database, source: str, settings: SchedulerSettings) -> list[Flag]:
    """Re-judge one source from its history, store the outcome, log what was raised or cleared."""
    depth = max(settings.flag_empty_runs, settings.flag_error_window, settings.flag_history + 1)
    flags = judge(finished_runs(db, source, depth), settings)
    wanted = {flag.kind: flag for flag in flags}
    with db.session() as session:
        stored = {
            row.kind: row
            for row in session.scalars(select(SourceFlag).where(SourceFlag.source == source))
        }
        for kind, row in stored.items():
            if kind not in wanted:
                log.info("source %s: flag %s cleared", source, kind)
                session.delete(row)
        for kind, flag in wanted.items():
            if kind in stored:
                stored[kind].detail = flag.detail
            else:
                log.warning("source %s flagged (%s): %s", source, kind, flag.detail)
                session.add(
                    SourceFlag(source=source, kind=kind, detail=flag.detail, raised_at=utcnow())
                )
    return flags


def clear_flags(db: Database, sources: Iterable[str]) -> None:
    """Forget the flags of sources that left the sources file."""
    names = list(sources)
    if names:
        with db.session() as session:
            session.execute(delete(SourceFlag).where(SourceFlag.source.in_(names)))


def current_flags(db: Database, source: str | None = None) -> list[Flag]:
    """The flags raised now, by source then kind (what the web app and `brwatch runs` show)."""
    query = select(SourceFlag).order_by(SourceFlag.source, SourceFlag.kind)
    if source:
        query = query.where(SourceFlag.source == source)
    with db.session() as session:
        return [
            Flag(row.source, row.kind, row.detail, row.raised_at) for row in session.scalars(query)
        ]
