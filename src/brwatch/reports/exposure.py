"""Exceptions: where the newsroom is exposed (reuse against rights, missing attribution links,
grants used after they lapsed, "permission granted" decisions whose grant has lapsed since).
Rights are the stored reuse verdict's; whether a grant covers an article is the rule decisions
and the reuse gate use (brwatch.reuse.coverage). The order is fixed for reproducibility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from brwatch.attribution.registry import load_publishers
from brwatch.reports.model import EXCEPTION_KINDS, RESTRICTED_STATUSES, REUSE_STATES
from brwatch.reports.scope import Scope, chunks, iso
from brwatch.reuse.coverage import GrantProblem, grants_covering, lapse
from brwatch.reuse.grants import is_active
from brwatch.storage.models import Article, AuditEvent, GateDecision, Grant

BROKEN_LINKS = ("missing", "broken")


_EXCEPTION_COLUMNS = (
    Article.id,
    Article.title,
    Article.url,
    Article.source,
    Article.reuse_status,
    Article.review_state,
    Article.attribution_link,
)


def _exception(kind: str, row: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "description": EXCEPTION_KINDS[kind],
        "article_id": row.id,
        "title": row.title,
        "url": row.url,
        "source": row.source,
        "rights_status": row.reuse_status,
        "review_state": row.review_state,
        "attribution_link": row.attribution_link,
        "at": None,
        "gate_decision_id": None,
        "grant_id": None,
        "grant_valid_to": None,
        "grant_revoked_at": None,
        "grant_problem": None,
        **extra,
    }


def article_exceptions(session: Session, scope: Scope, as_of: datetime) -> list[dict[str, Any]]:
    """Review states that expose the newsroom, over all articles collected in the period."""
    order = (Article.first_seen_at, Article.id)
    cleared = scope.articles(
        select(*_EXCEPTION_COLUMNS)
        .where(
            Article.review_state.in_(REUSE_STATES),
            Article.reuse_status.in_(RESTRICTED_STATUSES),
        )
        .order_by(*order)
    )
    unlinked = scope.articles(
        select(*_EXCEPTION_COLUMNS)
        .where(Article.review_state.in_(REUSE_STATES), Article.attribution_link.in_(BROKEN_LINKS))
        .order_by(*order)
    )
    registry = load_publishers()
    found = [
        _exception("cleared_against_rights", row)
        for row in session.execute(cleared)
        if not _covered(session, row.id, as_of, registry)
    ]
    found += [
        _exception("reused_without_attribution_link", row) for row in session.execute(unlinked)
    ]
    return found + _lapsed_grant_decisions(session, scope, as_of)


def _covered(session: Session, article_id: int, as_of: datetime, registry: Any) -> bool:
    """A grant in force at ``as_of`` covers the article: the rule decisions and the gate use."""
    article = session.get(Article, article_id)
    grants = grants_covering(session, article, registry) if article is not None else []
    return any(is_active(grant, as_of) for grant in grants)


def _lapsed_grant_decisions(
    session: Session, scope: Scope, as_of: datetime
) -> list[dict[str, Any]]:
    """Articles still marked "permission granted" whose decision's grant has since expired or
    been revoked (by the end of the period, or now if that is earlier), or does not cover them."""
    granted = scope.articles(
        select(*_EXCEPTION_COLUMNS)
        .where(Article.review_state == "permission_granted")
        .order_by(Article.first_seen_at, Article.id)
    )
    rows = list(session.execute(granted))
    decisions: dict[int, AuditEvent] = {}
    for chunk in chunks([row.id for row in rows]):
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "article",
                AuditEvent.action == "decide",
                AuditEvent.entity_id.in_(chunk),
            )
            .order_by(AuditEvent.id)
        )
        decisions.update((event.entity_id, event) for event in events)  # the newest wins
    registry = load_publishers()
    found = []
    for row in rows:
        decision = decisions.get(row.id)
        grant_id = (decision.after or {}).get("grant_id") if decision else None
        grant = session.get(Grant, grant_id) if isinstance(grant_id, int) else None
        if grant is None:
            continue
        problem = lapse(grant, as_of)
        if problem is None and not _covers(session, grant, row.id, registry):
            # Recorded before decisions were checked, or the publisher registry changed since.
            problem = GrantProblem("grant_not_covering")
        if problem is None:
            continue
        found.append(
            _exception(
                "decision_grant_lapsed",
                row,
                at=iso(decision.at) if decision else None,
                grant_id=grant.id,
                grant_valid_to=iso(grant.valid_to),
                grant_revoked_at=iso(grant.revoked_at),
                grant_problem=problem.code,
            )
        )
    return found


def _covers(session: Session, grant: Grant, article_id: int, registry: Any) -> bool:
    article = session.get(Article, article_id)
    return article is not None and any(
        g.id == grant.id for g in grants_covering(session, article, registry)
    )


def gate_exceptions(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Reuse-gate passes in the period that should not have been (one row may be several kinds)."""
    # Decided by the database, so the filter and the classification below cannot disagree.
    without_grant = and_(
        GateDecision.grant_id.is_(None), Article.reuse_status.in_(RESTRICTED_STATUSES)
    )
    unlinked = Article.attribution_link.in_(BROKEN_LINKS)
    grant_lapsed = and_(
        GateDecision.grant_id.is_not(None),
        or_(
            Grant.valid_to < GateDecision.decided_at,
            Grant.revoked_at <= GateDecision.decided_at,
            Grant.valid_from > GateDecision.decided_at,
        ),
    )
    stmt = (
        select(
            *_EXCEPTION_COLUMNS,
            GateDecision.id.label("gate_id"),
            GateDecision.article_url,
            GateDecision.decided_at,
            GateDecision.grant_id,
            Grant.valid_to,
            without_grant.label("without_grant"),
            unlinked.label("unlinked"),
            grant_lapsed.label("grant_lapsed"),
        )
        .select_from(GateDecision)
        .outerjoin(Article, Article.id == GateDecision.article_id)
        .outerjoin(Grant, Grant.id == GateDecision.grant_id)
        .where(GateDecision.outcome == "pass", or_(without_grant, unlinked, grant_lapsed))
        .order_by(GateDecision.decided_at, GateDecision.id)
    )
    stmt = scope.of_sources(scope.during(stmt, GateDecision.decided_at))
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in EXCEPTION_KINDS}
    for row in session.execute(stmt):
        extra = {
            "at": iso(row.decided_at),
            "gate_decision_id": row.gate_id,
            "grant_id": row.grant_id,
            "grant_valid_to": iso(row.valid_to),
            "url": row.url or row.article_url,
        }
        for kind, applies in (
            ("reused_against_rights", row.without_grant),
            ("reused_without_attribution_link", row.unlinked),
            ("grant_used_after_expiry", row.grant_lapsed),
        ):
            if applies:
                found[kind].append(_exception(kind, row, **extra))
    return [entry for kind in EXCEPTION_KINDS for entry in found[kind]]


def exception_order(entry: dict[str, Any]) -> tuple[int, str, int, int]:
    """Kind by kind (in EXCEPTION_KINDS order), then oldest first."""
    return (
        list(EXCEPTION_KINDS).index(entry["kind"]),
        entry["at"] or "",
        entry["article_id"] or 0,
        entry["gate_decision_id"] or 0,
    )


def date_article_exceptions(session: Session, exceptions: list[dict[str, Any]]) -> None:
    """An exception about an article's review state dates from its last decision."""
    undated = sorted({e["article_id"] for e in exceptions if e["at"] is None and e["article_id"]})
    last: dict[int, str | None] = {}
    for chunk in chunks(undated):
        stmt = (
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(AuditEvent.entity == "article", AuditEvent.action == "decide")
            .where(AuditEvent.entity_id.in_(chunk))
            .group_by(AuditEvent.entity_id)
        )
        last.update((article_id, iso(moment)) for article_id, moment in session.execute(stmt))
    for entry in exceptions:
        if entry["at"] is None and entry["article_id"]:
            entry["at"] = last.get(entry["article_id"])
