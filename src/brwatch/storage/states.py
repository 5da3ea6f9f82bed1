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
# The review queue: these rights statuses, a conflict, or these attribution outcomes.
FLAGGED_STATUSES = ("prohibited", "permission_required", "attribution_required")
FLAGGED_LINKS = ("missing", "broken", "wrong_target")
