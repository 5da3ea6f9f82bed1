"""Which articles are flagged for review: the one rule the queue, /metrics and notifications share.

docs/ARCHITECTURE.md ("Flagged") is the prose for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from brwatch.storage.models import Article
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES


def flagged_clause(columns: Any = Article) -> ColumnElement[bool]:
    """SQL for storage.states.is_flagged, on the reuse verdict (provenance/reuse.py); `columns`
    is Article or another mapped class with the same columns (QueueCount)."""
    return or_(
        columns.reuse_status.in_(FLAGGED_STATUSES),
        columns.reuse_conflict.is_(True),
        columns.rights_unmatched.is_(True),
        columns.attribution_link.in_(FLAGGED_LINKS),
    )
