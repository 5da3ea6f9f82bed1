"""Findings -> one verdict, as DESIGN.md resolves them.

An explicit statement (a prohibition, a conditional licence, an open licence) beats a generic
claim of copyright wherever each sits; among explicit statements the most restrictive wins, and
explicit statements that disagree set ``conflict`` for legal review.
"""

from __future__ import annotations

from brwatch.rights.model import GENERIC_STATUS, RESTRICTIVENESS, SCOPES, Evidence, Verdict

# Findings below this confidence are shown as evidence but decide nothing.
MIN_DECIDING_CONFIDENCE = 0.5
_OPEN = frozenset({"open_license", "public_domain"})
_SCOPE_ORDER = {scope: rank for rank, scope in enumerate(SCOPES)}


def _first(values: list[str | None]) -> str | None:
    return next((v for v in values if v), None)


# Where a licence is named, most telling first: the article's own tail and its structured data
# speak for this article; a body paragraph often names the licence of something else (a photo,
# a quoted work, an article about licences).
_LICENCE_PLACES = ("tail", "jsonld", "meta", "link", "header", "feed", "footer", "body")


def _licences(findings: list[Evidence]) -> list[str | None]:
    """Licences named, most telling place first; a ported licence ("CC-BY-3.0-DE") stands for
    the same licence named without its jurisdiction elsewhere on the page."""
    ranked = sorted(
        findings,
        key=lambda f: _LICENCE_PLACES.index(f.scope) if f.scope in _LICENCE_PLACES else 99,
    )
    named = [f.license for f in ranked if f.license]
    return [next((o for o in named if o.startswith(f"{spdx}-")), spdx) for spdx in named]


def _attribution_licence(findings: list[Evidence]) -> bool:
    return any(f.license and "-BY" in f.license for f in findings if f.status == "open_license")


# A prohibition this close to an open licence stated in the same part of the page is one of
# that licence's conditions ("Republish under CC BY-ND … don't republish our photos").
_LICENCE_CONDITION_REACH = 600
_PAGE_TEXT_SCOPES = frozenset({"body", "tail", "footer"})


def _licence_conditions(findings: list[Evidence]) -> None:
    """Turn prohibitions stated beside an open licence into conditions of it (status None)."""
    licences = [
        f
        for f in findings
        if f.status in _OPEN and f.kind == "notice" and f.scope in _PAGE_TEXT_SCOPES
    ]
    for finding in findings:
        if finding.status == "prohibited" and any(
            licence.scope == finding.scope
            and abs(licence.start - finding.start) <= _LICENCE_CONDITION_REACH
            for licence in licences
        ):
            finding.status = None
            finding.kind = "condition"


def resolve(findings: list[Evidence], ruleset: str) -> Verdict:
    findings = sorted(findings, key=lambda f: (_SCOPE_ORDER.get(f.scope, 99), f.start))
    _licence_conditions(findings)
    deciding = [f for f in findings if f.status and f.confidence >= MIN_DECIDING_CONFIDENCE]
    explicit = [f for f in deciding if f.status != GENERIC_STATUS]
    verdict = Verdict(evidence=findings, ruleset=ruleset)
    if explicit:
        statuses = {f.status for f in explicit if f.status}
        if "attribution_required" in statuses and _attribution_licence(explicit):
            # "Reprint with credit" restates what an attribution licence (CC BY…) demands.
            statuses.discard("attribution_required")
        verdict.status = min(statuses, key=RESTRICTIVENESS.__getitem__)
        verdict.conflict = len(statuses) > 1 and not statuses <= _OPEN
    elif deciding:
        verdict.status = GENERIC_STATUS
    winners = [f for f in deciding if f.status == verdict.status]
    if verdict.status == "open_license":
        winners += [f for f in explicit if f.status == "attribution_required"]
    verdict.license = _first(_licences(winners)) or _first(_licences(deciding))
    # One notice often says several things ("not without permission; credit us and link the
    # original"): the terms of every explicit statement apply on top of the winning status.
    terms = [*winners, *(f for f in explicit if f not in winners)]
    terms += [f for f in findings if f.status is None]
    verdict.requires_link = any(f.requires_link for f in terms)
    credited = winners + [f for f in findings if f.kind not in ("origin",)]
    verdict.origin = _first([f.origin for f in findings if f.kind == "origin"])
    # Terms that ask for credit without naming anyone mean the publisher the page names.
    verdict.credit = _first([f.credit for f in credited]) or (
        verdict.origin if verdict.status != "unknown" else None
    )
    obligations: list[str] = []
    for finding in terms:
        obligations += finding.obligations
    if verdict.status == "attribution_required":
        obligations.append("credit")
    if verdict.requires_link:
        obligations.append("link_to_original")
    if verdict.origin:
        obligations.append("credit_origin")
    verdict.obligations = sorted(set(obligations))
    return verdict
