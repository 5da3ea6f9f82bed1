"""Which articles are flagged for review: the one rule the queue, /metrics and notifications share.

docs/ARCHITECTURE.md ("Flagged") is the prose for it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from brwatch.storage.models import Article
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES


def flagged_clause() -> ColumnElement[bool]:
    """SQL for storage.states.is_flagged, on the reuse verdict (provenance/reuse.py)."""
    return or_(
        Article.reuse_status.in_(FLAGGED_STATUSES),
        Article.reuse_conflict.is_(True),
        Article.rights_unmatched.is_(True),
        Article.attribution_link.in_(FLAGGED_LINKS),
    )
