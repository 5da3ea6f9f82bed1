"""The web app's doors to the packages it shows: reuse gate, reports, source health.

Their errors become `IntegrationInputError` carrying the package's own message, so pages can
show it as a clear answer instead of failing.
"""

from __future__ import annotations

from typing import Any

from brwatch import reports, reuse
from brwatch.errors import BrwatchError
from brwatch.schedule.monitor import current_flags
from brwatch.storage import Database

REPORT_FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


class IntegrationInputError(BrwatchError, ValueError):
    """The other package refused the input (bad draft, unknown article, bad period); says why."""


def run_reuse_gate(
    db: Database, article_url: str, draft: bytes | str, draft_name: str, user: str
) -> reuse.GateResult:
    """The gate's answer; the gate records it as a GateDecision, as `brwatch reuse-check` does."""
    try:
        parsed = reuse.parse_draft(draft, draft_name)
        return reuse.check_reuse(db, article_url, parsed, user=user)
    except (reuse.DraftError, reuse.ReuseError) as exc:
        raise IntegrationInputError(str(exc)) from exc


def report_bytes(
    db: Database, since: Any, until: Any, sources: list[str] | None, fmt: str
) -> bytes:
    try:
        # HTML and PDF show a capped number of detail rows; load only those, as the CLI does.
        report = reports.build_report(
            db, since, until, sources, item_limit=reports.ITEM_CAPS.get(fmt)
        )
        return reports.render(report, fmt)
    except reports.ReportError as exc:
        raise IntegrationInputError(str(exc)) from exc


def source_flags(db: Database) -> list[Any]:
    """Monitoring alarms raised now (no items, error rate, item drop), by source then kind."""
    return current_flags(db)
