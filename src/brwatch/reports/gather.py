"""Gathering a report from the database.

Every count is a GROUP BY in SQL, so the cost grows with the number of groups, not of articles;
per-article rows are loaded only for the items the report details (restricted items and
exceptions), and their decision trails and snapshots in chunked ``IN`` queries.

What falls in the period:
- articles by when they were first collected (``first_seen_at``), so a re-crawl never moves an
  article into a later report and old reports keep their numbers;
- review decisions by when they were made (``AuditEvent.at``), reuse-gate answers by
  ``decided_at``; grants are shown as of the end of the period (or now, if that is earlier).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from brwatch.provenance.reuse import refresh_stale
from brwatch.reports import details, exposure, freshness, summary
from brwatch.reports.model import Report, ReportError
from brwatch.reports.period import Moment, Period
from brwatch.reports.scope import Scope, utc
from brwatch.storage import Database
from brwatch.storage.models import Article, CrawlRun

log = logging.getLogger(__name__)


def build_report(
    db: Database,
    since: Moment = None,
    until: Moment = None,
    sources: Sequence[str] | None = None,
    now: datetime | None = None,
    *,
    sources_file: str | None = None,
    item_limit: int | None = None,
) -> Report:
    """The rights report for ``since <= first seen < until`` and the chosen sources (None: all).

    ``now`` fixes the generation time (and the default ``until``) for reproducible output.
    ``item_limit`` loads details for only the newest N items (HTML and PDF show at most
    ``ITEM_CAPS[fmt]``); ``items_total`` still counts them all. JSON and CSV want None.
    Raises ReportError for an unreadable date, an empty period or an unknown source.
    """
    now = utc(now) if now else datetime.now(UTC)
    period = Period.parse(since, until, now)
    chosen, notes = _check_sources(db, sources, sources_file)
    as_of = min(period.until, now)
    scope = Scope(period, chosen)
    refresh_stale(db)  # the reuse verdicts the report counts are current
    with db.session() as session:
        totals, by_source = summary.totals_by_source(session, scope)
        exceptions = exposure.article_exceptions(session, scope, as_of)
        exceptions += exposure.gate_exceptions(session, scope)
        exposure.date_article_exceptions(session, exceptions)
        exceptions.sort(key=exposure.exception_order)
        items, items_total = details.items_for(session, scope, exceptions, item_limit)
        report = Report(
            period=period.to_dict(),
            generated_at=now.isoformat(),
            ruleset=_current_ruleset(),
            rulesets_in_data=summary.rulesets(session, scope),
            database=db.display_url,
            database_revision=db.current_revision(),
            filters={"sources": chosen},
            totals=totals,
            by_source=by_source,
            trend=summary.trend(session, scope, as_of),
            decisions=summary.decisions(session, scope),
            reuse_gate=summary.reuse_gate(session, scope),
            grants=summary.grants(session, as_of),
            exceptions=exceptions,
            items=items,
            items_total=items_total,
            notes=notes,
            freshness=freshness.source_freshness(session, scope, as_of),
        )
    return report


def _check_sources(
    db: Database, sources: Sequence[str] | None, sources_file: str | None
) -> tuple[list[str] | None, list[str]]:
    """The chosen source names, sorted; unknown = neither in the sources file nor in the DB."""
    if not sources:
        return None, []
    wanted = sorted({name.strip() for name in sources})
    if "" in wanted:
        raise ReportError("source: an empty source name was given")
    configured, notes = _configured_sources(sources_file)
    missing = [name for name in wanted if name not in configured]
    if missing:
        with db.session() as session:
            stored = set(
                session.scalars(
                    select(Article.source).where(Article.source.in_(missing)).distinct()
                )
            ) | set(
                session.scalars(
                    select(CrawlRun.source).where(CrawlRun.source.in_(missing)).distinct()
                )
            )
        unknown = [name for name in missing if name not in stored]
        if unknown:
            raise ReportError(
                f"unknown source {', '.join(unknown)}: not in the sources file and no article "
                "or crawl run in the database comes from it"
            )
    return wanted, notes


def _configured_sources(sources_file: str | None) -> tuple[set[str], list[str]]:
    try:
        from brwatch.sources import load_sources
    except ImportError:  # the sources package is optional for a report: the DB still knows names
        return set(), []
    try:
        return {source.name for source in load_sources(sources_file)}, []
    except Exception as exc:  # a broken sources file must not stop a report on stored data
        log.warning("sources file not usable, checking source names against the database: %s", exc)
        return set(), [
            "The sources file could not be read; source names were checked against the database."
        ]


def _current_ruleset() -> str | None:
    """The version of the rules the engine would apply today, when the engine is installed."""
    try:
        from brwatch.rights import ruleset_version
    except ImportError:
        return None
    try:
        return str(ruleset_version())
    except Exception as exc:  # a broken rule file is reported by `brwatch rules test`, not here
        log.info("ruleset version unavailable: %s", exc)
        return None
