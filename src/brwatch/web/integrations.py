"""The web app's doors to packages built alongside it: reuse gate, reports, source health.

Each is imported when first used, so the app runs (and says so on the page) while a package is
missing, and the rest of the web code never depends on their internals.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class GateAnswer:
    outcome: str  # pass | fail
    reasons: list[Any]
    raw: Any


def run_reuse_gate(db: Database, article_url: str, draft: str, user: str) -> GateAnswer:
    reuse = _module("brwatch.reuse")
    check = getattr(reuse, "check_reuse", None) or reuse.gate
    result = check(db, article_url, draft, user=user)
    outcome = getattr(result, "outcome", None) or (
        "pass" if getattr(result, "allowed", False) else "fail"
    )
    return GateAnswer(str(outcome), list(getattr(result, "reasons", []) or []), result)


REPORT_FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def build_report(db: Database, since: Any, until: Any, sources: list[str] | None) -> Any:
    return _module("brwatch.reports").build_report(db, since, until, sources)


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
