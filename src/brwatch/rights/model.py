"""The verdict and its evidence: the DESIGN.md shape every package reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Most restrictive first: resolution and conflict detection walk this order.
STATUSES = (
    "prohibited",
    "permission_required",
    "attribution_required",
    "open_license",
    "public_domain",
    "unknown",
)
RESTRICTIVENESS = {status: rank for rank, status in enumerate(STATUSES)}
# A generic copyright claim is not an explicit statement about reprinting.
GENERIC_STATUS = "permission_required"
SCOPES = ("body", "tail", "footer", "meta", "jsonld", "link", "header", "feed")
# Evidence that flags an article for review: wording no rule knows, a page cut for size.
REVIEW_KINDS = frozenset({"unmatched", "truncated"})
# Scopes whose findings speak for this one article rather than the whole site.
ARTICLE_SCOPES = frozenset({"body", "tail", "jsonld", "feed"})


@dataclass(slots=True)
class Evidence:
    """One finding: which rule or signal, what it says, and where it sits."""

    rule_id: str
    kind: str
    status: str | None
    text: str
    scope: str
    start: int
    end: int
    confidence: float
    credit: str | None = None
    origin: str | None = None
    license: str | None = None
    requires_link: bool = False
    obligations: tuple[str, ...] = ()
    # Conditional or otherwise superseding rules win over overlapping lower-priority findings.
    priority: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "status": self.status,
            "text": self.text,
            "scope": self.scope,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 2),
        }


@dataclass(slots=True)
class Verdict:
    status: str = "unknown"
    license: str | None = None
    requires_link: bool = False
    credit: str | None = None
    origin: str | None = None
    obligations: list[str] = field(default_factory=list)
    conflict: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    ruleset: str = ""

    @property
    def unmatched(self) -> bool:
        """True when a person should read the page: a rights-like sentence matched no rule,
        or the page was too large to read whole."""
        return any(item.kind in REVIEW_KINDS for item in self.evidence)

    @property
    def restricted(self) -> bool:
        """True when reuse needs permission or is forbidden outright."""
        return self.status in ("prohibited", "permission_required")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "license": self.license,
            "requires_link": self.requires_link,
            "credit": self.credit,
            "origin": self.origin,
            "obligations": list(self.obligations),
            "conflict": self.conflict,
            "evidence": [item.to_dict() for item in self.evidence],
            "ruleset": self.ruleset,
        }
