"""Exceptions: where the newsroom is exposed (reuse against rights, missing attribution links,
grants used after they lapsed). Each kind is one query; the order is fixed for reproducibility."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from brwatch.reports.model import EXCEPTION_KINDS, RESTRICTED_STATUSES, REUSE_STATES
from brwatch.reports.scope import Scope, chunks, iso
from brwatch.reports.summary import grant_in_force
from brwatch.storage.models import Article, AuditEvent, GateDecision, Grant

BROKEN_LINKS = ("missing", "broken")


def _covering_grant(as_of: datetime) -> ColumnElement[bool]:
    """A grant in force at ``as_of`` for this article's URL or for its publisher.

    The publisher field of a grant may hold any name the article goes by (as in the reuse
    gate): its source, site name, origin, or the verdict's rights holder or origin.
    """
    names = (
        Article.source,
        Article.site_name,
        Article.origin,
        Article.rights["credit"].as_string(),
        Article.rights["origin"].as_string(),
    )
    return (
        select(Grant.id)
        .where(
            grant_in_force(as_of),
            or_(
                and_(
                    Grant.scope == "article",
                    or_(
                        Grant.article_url == Article.url, Grant.article_url == Article.canonical_url
                    ),
                ),
                and_(
                    Grant.scope != "article",
                    or_(*(func.lower(Grant.publisher) == func.lower(name) for name in names)),
                ),
            ),
        )
        .exists()
    )


_EXCEPTION_COLUMNS = (
    Article.id,
    Article.title,
    Article.url,
    Article.source,
    Article.rights_status,
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
        "rights_status": row.rights_status,
        "review_state": row.review_state,
        "attribution_link": row.attribution_link,
        "at": None,
        "gate_decision_id": None,
        "grant_id": None,
        "grant_valid_to": None,
        **extra,
    }


def article_exceptions(session: Session, scope: Scope, as_of: datetime) -> list[dict[str, Any]]:
    """Review states that expose the newsroom, over all articles collected in the period."""
    order = (Article.first_seen_at, Article.id)
    cleared = scope.articles(
        select(*_EXCEPTION_COLUMNS)
        .where(
            Article.review_state.in_(REUSE_STATES),
            Article.rights_status.in_(RESTRICTED_STATUSES),
            ~_covering_grant(as_of),
        )
        .order_by(*order)
    )
    unlinked = scope.articles(
        select(*_EXCEPTION_COLUMNS)
        .where(Article.review_state.in_(REUSE_STATES), Article.attribution_link.in_(BROKEN_LINKS))
        .order_by(*order)
    )
    found = [_exception("cleared_against_rights", row) for row in session.execute(cleared)]
    found += [
        _exception("reused_without_attribution_link", row) for row in session.execute(unlinked)
    ]
    return found


def gate_exceptions(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Reuse-gate passes in the period that should not have been (one row may be several kinds)."""
    # Decided by the database, so the filter and the classification below cannot disagree.
    without_grant = and_(
        GateDecision.grant_id.is_(None), Article.rights_status.in_(RESTRICTED_STATUSES)
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
