"""The named states stored in articles, shared by the web app, reports and the demo.

docs/ARCHITECTURE.md ("Review states", "Flagged") is the prose for these.
"""

from __future__ import annotations

# Article.review_state: "pending" until an editor or legal decides.
REVIEW_STATES = (
    "pending",
    "cleared",
    "reuse_with_attribution",
    "do_not_reuse",
    "permission_requested",
    "permission_granted",
)
# What a decision may set.
DECISIONS = REVIEW_STATES[1:]
# Article.attribution_link.
LINK_OUTCOMES = ("ok", "missing", "broken", "wrong_target", "not_required")
# The review queue: a reuse verdict with these statuses or a conflict, rights wording no rule
# matched, or these attribution outcomes.
FLAGGED_STATUSES = ("prohibited", "permission_required", "attribution_required")
FLAGGED_LINKS = ("missing", "broken", "wrong_target")


def is_flagged(
    reuse_status: str | None, conflict: bool, unmatched: bool, attribution_link: str | None
) -> bool:
    """Whether an article belongs in the review queue, judged on its reuse verdict (what it
    inherits included); web.queue.flagged_clause is the same test in SQL."""
    return (
        reuse_status in FLAGGED_STATUSES
        or bool(conflict)
        or bool(unmatched)
        or attribution_link in FLAGGED_LINKS
    )
