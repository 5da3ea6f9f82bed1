"""What a report is: a JSON-ready record of one period's numbers, exceptions and items.

The report is gathered once (``gather.build_report``) and every format renders this same object,
so HTML, PDF, CSV and JSON cannot disagree. All values are already JSON types (times as ISO 8601
strings in UTC) and every list has a fixed order, so the same inputs give the same bytes apart
from ``generated_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_

from brwatch.errors import BrwatchError
from brwatch.storage.models import Article

# Bumped whenever a key is renamed or removed; additions keep the version.
SCHEMA_VERSION = "1"

# Articles the rights engine has not judged yet (no reuse verdict).
NOT_CHECKED = "not_checked"
# "Restricted": reuse needs a permission nobody has shown yet, or legal must settle a conflict,
# by the reuse verdict (what the article inherits included).
RESTRICTED_STATUSES = ("prohibited", "permission_required")
# Review states that let an article be reused.
REUSE_STATES = ("cleared", "reuse_with_attribution")

EXCEPTION_KINDS = {
    "cleared_against_rights": "cleared for reuse though its rights forbid it and no grant applies",
    "reused_against_rights": "passed the reuse gate without a grant though its rights forbid reuse",
    "reused_without_attribution_link": "reused while the attribution link is missing or broken",
    "grant_used_after_expiry": "passed the reuse gate on a grant that had expired or was revoked",
    "decision_grant_lapsed": "marked permission granted on a grant that has since expired or "
    "been revoked, or that does not cover the article",
}


def restricted_clause() -> ColumnElement[bool]:
    """SQL: the article's reuse verdict restricts reuse (see RESTRICTED_STATUSES)."""
    return or_(Article.reuse_status.in_(RESTRICTED_STATUSES), Article.reuse_conflict.is_(True))


class ReportError(BrwatchError, ValueError):
    """Bad report input (date, period, source): the message says which value and why."""


@dataclass
class Report:
    """One rights report; ``to_dict()`` is the documented JSON (docs/reports.md)."""

    period: dict[str, str | None]
    generated_at: str
    ruleset: str | None
    rulesets_in_data: dict[str, int]
    database: str
    database_revision: str | None
    filters: dict[str, Any]
    totals: dict[str, Any]
    by_source: dict[str, dict[str, Any]]
    trend: dict[str, Any]
    decisions: dict[str, Any]
    reuse_gate: dict[str, Any]
    grants: dict[str, Any]
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    # All items in the period; ``items`` may hold fewer when built with an item_limit.
    items_total: int = 0
    notes: list[str] = field(default_factory=list)
    # Each source's crawl freshness over the period (reports/freshness.py).
    freshness: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.totals["articles"] and not self.exceptions and not self.decisions["total"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "period": self.period,
            "generated_at": self.generated_at,
            "ruleset": self.ruleset,
            "rulesets_in_data": self.rulesets_in_data,
            "database": self.database,
            "database_revision": self.database_revision,
            "filters": self.filters,
            "totals": self.totals,
            "by_source": self.by_source,
            "freshness": self.freshness,
            "trend": self.trend,
            "decisions": self.decisions,
            "reuse_gate": self.reuse_gate,
            "grants": self.grants,
            "exceptions": self.exceptions,
            "items_total": self.items_total,
            "items": self.items,
            "notes": self.notes,
        }
