"""Permission grants and the reuse gate: may this draft be published?"""

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
    "Link",
    "ReuseError",
    "add_grant",
    "check_reuse",
    "fetched_facts",
    "gate",
    "is_active",
    "list_grants",
    "parse_draft",
    "read_draft",
    "revoke_grant",
]
