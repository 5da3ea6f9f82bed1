"""Permission grants and the reuse gate: may this draft be published?"""

from brwatch.reuse.coverage import (
    GrantProblem,
    grant_problem,
    grants_covering,
    lapse,
    stored_facts,
)
from brwatch.reuse.draft import Draft, DraftError, Link, parse_draft, read_draft
from brwatch.reuse.gate import ArticleFacts, GateReason, GateResult, GateText, gate
from brwatch.reuse.grants import GrantError, add_grant, is_active, list_grants, revoke_grant
from brwatch.reuse.service import ReuseError, check_reuse, fetched_facts

__all__ = [
    "ArticleFacts",
    "Draft",
    "DraftError",
    "GateReason",
    "GateResult",
    "GateText",
    "GrantError",
    "GrantProblem",
    "Link",
    "ReuseError",
    "add_grant",
    "check_reuse",
    "fetched_facts",
    "gate",
    "grant_problem",
    "grants_covering",
    "is_active",
    "lapse",
    "list_grants",
    "parse_draft",
    "read_draft",
    "revoke_grant",
    "stored_facts",
]
