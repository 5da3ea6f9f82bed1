"""Roles and the capabilities each grants: the single table every access check reads."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    REVIEW = "review"  # see the queue, items, snapshots and their audit trail
    DECIDE = "decide"  # record review decisions
    VIEW_GRANTS = "view_grants"
    MANAGE_GRANTS = "manage_grants"
    REUSE_CHECK = "reuse_check"
    REPORTS = "reports"
    MANAGE_USERS = "manage_users"
    EVIDENCE = "evidence"  # download an item's signed evidence package
    OPERATIONS = "operations"  # see the crawl cluster: scheduler, workers, queue, gates


ROLES = ("editor", "legal", "admin")

# Editors decide on items; legal also manages grants and reads reports; admin manages users
# (and may look at the queue, but does not decide: decisions are editorial and legal work).
CAPABILITIES: dict[str, frozenset[Capability]] = {
    "editor": frozenset(
        {Capability.REVIEW, Capability.DECIDE, Capability.VIEW_GRANTS, Capability.REUSE_CHECK}
    ),
    "legal": frozenset(
        {
            Capability.REVIEW,
            Capability.DECIDE,
            Capability.VIEW_GRANTS,
            Capability.MANAGE_GRANTS,
            Capability.REUSE_CHECK,
            Capability.REPORTS,
            Capability.EVIDENCE,
        }
    ),
    "admin": frozenset({Capability.REVIEW, Capability.MANAGE_USERS, Capability.OPERATIONS}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
