"""The web app's doors to packages built alongside it: reuse gate, reports, source health.

Each is imported when first used, so the app runs (and says so on the page) while a package is
missing, and the rest of the web code never depends on their internals.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.storage import Database
from brwatch.storage.models import SourceFlag


class Unavailable(RuntimeError):
    """The package providing this feature is not installed in this build."""


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(f"{name} is not available: {exc}") from exc


class IntegrationInputError(ValueError):
    """The other package refused the input (bad draft, unknown article, bad period); says why."""


def run_reuse_gate(
    db: Database, article_url: str, draft: bytes | str, draft_name: str, user: str
) -> Any:
    """The gate's answer (a `brwatch.reuse.GateResult`), recorded as a GateDecision by the gate."""
    reuse = _module("brwatch.reuse")
    try:
        parsed = reuse.parse_draft(draft, draft_name)
        return reuse.check_reuse(db, article_url, parsed, user=user)
    except (reuse.DraftError, reuse.ReuseError) as exc:
        raise IntegrationInputError(str(exc)) from exc


REPORT_FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def build_report(db: Database, since: Any, until: Any, sources: list[str] | None) -> Any:
    reports = _module("brwatch.reports")
    try:
        return reports.build_report(db, since, until, sources)
    except reports.ReportError as exc:
        raise IntegrationInputError(str(exc)) from exc


def render_report(report: Any, fmt: str) -> bytes:
    return _module("brwatch.reports").render(report, fmt)


def source_flags(db: Database, session: Session) -> list[dict[str, Any]]:
    """Current monitoring alarms per source; read from the table if the monitor is not there."""
    try:
        monitor = _module("brwatch.schedule.monitor")
        flags = monitor.current_flags(db)
    except (Unavailable, AttributeError):
        flags = list(
            session.scalars(select(SourceFlag).order_by(SourceFlag.source, SourceFlag.kind))
        )
    return [
        {
            "source": getattr(flag, "source", None)
            if not isinstance(flag, dict)
            else flag.get("source"),
            "kind": getattr(flag, "kind", None) if not isinstance(flag, dict) else flag.get("kind"),
            "detail": getattr(flag, "detail", None)
            if not isinstance(flag, dict)
            else flag.get("detail"),
        }
        for flag in flags
    ]
