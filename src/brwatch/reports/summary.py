"""The summary sections: counts by status, source, review state and link; trend; decisions;
reuse-gate answers; grants in force. Each is one GROUP BY (or a small table) in SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from brwatch.reports.model import NOT_CHECKED, restricted_clause
from brwatch.reports.scope import Scope, iso, review_state_in, utc
from brwatch.rights.model import STATUSES as RIGHTS_STATUSES
from brwatch.storage.models import Article, AuditEvent, GateDecision, Grant
from brwatch.storage.states import DECISIONS, LINK_OUTCOMES, REVIEW_STATES, is_flagged

# A trend starts at --since, unless nothing was collected for longer than this after it.
LEADING_GAP_DAYS = 62
# Grants ending within this many days of the report's end are "expiring soon".
EXPIRING_DAYS = 30


def _empty_counts() -> dict[str, Any]:
    return {
        "articles": 0,
        "relevant": 0,
        "by_status": dict.fromkeys((*RIGHTS_STATUSES, NOT_CHECKED), 0),
        "flagged": 0,
        "reviewed": 0,
        "pending_review": 0,
        "conflicts": 0,
        "open_conflicts": 0,
        "by_review_state": dict.fromkeys(REVIEW_STATES, 0),
        "by_attribution_link": dict.fromkeys((*LINK_OUTCOMES, NOT_CHECKED), 0),
    }


def _add(counts: dict[str, Any], row: Any) -> None:
    """Add one GROUP BY row; everything but ``articles`` counts relevant articles only. Statuses,
    conflicts and flags are the reuse verdict's, as the review queue and export count them."""
    n = row.n
    counts["articles"] += n
    if not row.relevant:
        return
    counts["relevant"] += n
    status = row.reuse_status or NOT_CHECKED
    link = row.attribution_link or NOT_CHECKED
    state = row.review_state or "pending"
    _bump(counts["by_status"], status, n)
    _bump(counts["by_review_state"], state, n)
    _bump(counts["by_attribution_link"], link, n)
    if is_flagged(row.reuse_status, row.reuse_conflict, row.rights_unmatched, link):
        counts["flagged"] += n
        counts["reviewed" if state != "pending" else "pending_review"] += n
    if row.reuse_conflict:
        counts["conflicts"] += n
        if state == "pending":
            counts["open_conflicts"] += n


def _bump(counter: dict[str, int], key: str, n: int) -> None:
    counter[key] = counter.get(key, 0) + n


def totals_by_source(
    session: Session, scope: Scope
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Counts for the whole report and for each source, from one GROUP BY."""
    columns = (
        Article.source,
        Article.relevant,
        Article.reuse_status,
        Article.reuse_conflict,
        Article.rights_unmatched,
        Article.review_state,
        Article.attribution_link,
    )
    stmt = scope.articles(select(*columns, func.count().label("n")).group_by(*columns))
    totals = _empty_counts()
    by_source = {name: _empty_counts() for name in scope.sources or ()}
    for row in session.execute(stmt):
        _add(totals, row)
        _add(by_source.setdefault(row.source, _empty_counts()), row)
    return totals, dict(sorted(by_source.items()))


def rulesets(session: Session, scope: Scope) -> dict[str, int]:
    stmt = scope.articles(select(Article.ruleset, func.count()).group_by(Article.ruleset))
    return dict(sorted((ruleset or "none", n) for ruleset, n in session.execute(stmt)))


# -- trend ---------------------------------------------------------------------------------------


def _day(session: Session) -> ColumnElement[str]:
    """The UTC calendar day of first_seen_at as 'YYYY-MM-DD', in each backend's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Article.first_seen_at), "YYYY-MM-DD")
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS' in UTC
        return func.substr(Article.first_seen_at, 1, 10)
    return func.date(Article.first_seen_at)


def _bucket_size(first: date, last: date) -> str:
    days = (last - first).days
    return "day" if days <= 62 else "week" if days <= 730 else "month"


def _bucket_start(day: date, size: str) -> date:
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, size: str) -> date:
    if size == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if size == "week" else 1)


def trend(session: Session, scope: Scope, as_of: datetime) -> dict[str, Any]:
    """Articles, relevant and restricted relevant articles per day, week or month, up to
    ``as_of`` (the end of the period, or now if that is earlier: the future has no points)."""
    day = _day(session).label("day")
    restricted = restricted_clause()
    stmt = scope.articles(
        select(
            day, Article.relevant, restricted.label("restricted"), func.count().label("n")
        ).group_by(day, Article.relevant, restricted)
    )
    per_day: dict[date, dict[str, int]] = {}
    for row in session.execute(stmt):
        counts = per_day.setdefault(date.fromisoformat(str(row.day)[:10]), _trend_point())
        counts["articles"] += row.n
        if row.relevant:
            counts["relevant"] += row.n
            counts["restricted"] += row.n if row.restricted else 0
    if scope.period.since is None and not per_day:
        return {"bucket": "day", "points": []}
    first = scope.period.since.date() if scope.period.since else min(per_day)
    if per_day and (min(per_day) - first).days > LEADING_GAP_DAYS:
        first = min(per_day)  # "--since 2000-01-01" should not chart decades of nothing
    last = max((as_of - timedelta(microseconds=1)).date(), max(per_day, default=first))
    size = _bucket_size(first, last)
    buckets: dict[date, dict[str, int]] = {}
    start = _bucket_start(first, size)
    while start <= last:
        buckets[start] = _trend_point()
        start = _next_bucket(start, size)
    for day_value, counts in per_day.items():
        bucket = buckets.setdefault(_bucket_start(day_value, size), _trend_point())
        for key, value in counts.items():
            bucket[key] += value
    points = [{"start": start.isoformat(), **counts} for start, counts in sorted(buckets.items())]
    return {"bucket": size, "points": points}


def _trend_point() -> dict[str, int]:
    return {"articles": 0, "relevant": 0, "restricted": 0}


# -- decisions, gate, grants ---------------------------------------------------------------------


def decisions(session: Session, scope: Scope) -> dict[str, Any]:
    """Review decisions made in the period, by the state they set."""
    state = review_state_in(AuditEvent.after).label("state")
    stmt = select(state, func.count().label("n")).where(
        AuditEvent.entity == "article", AuditEvent.action == "decide"
    )
    stmt = scope.during(stmt, AuditEvent.at).group_by(state)
    if scope.sources:
        stmt = scope.of_sources(stmt.join(Article, Article.id == AuditEvent.entity_id))
    by_outcome = dict.fromkeys(DECISIONS, 0)
    for row in session.execute(stmt):
        _bump(by_outcome, row.state or "unknown", row.n)
    return {"total": sum(by_outcome.values()), "by_outcome": by_outcome}


def reuse_gate(session: Session, scope: Scope) -> dict[str, Any]:
    """Reuse-gate answers given in the period, by outcome."""
    stmt = select(
        GateDecision.outcome, func.count().label("n"), func.count(GateDecision.grant_id).label("g")
    )
    stmt = scope.during(stmt, GateDecision.decided_at).group_by(GateDecision.outcome)
    if scope.sources:
        stmt = scope.of_sources(stmt.join(Article, Article.id == GateDecision.article_id))
    by_outcome = {"pass": 0, "fail": 0}
    with_grant = 0
    for row in session.execute(stmt):
        _bump(by_outcome, row.outcome, row.n)
        with_grant += row.g
    return {"total": sum(by_outcome.values()), "by_outcome": by_outcome, "with_grant": with_grant}


def grant_in_force(as_of: datetime) -> ColumnElement[bool]:
    """Started, not ended and not revoked at ``as_of`` (open ends count as unbounded)."""
    return and_(
        or_(Grant.revoked_at.is_(None), Grant.revoked_at > as_of),
        or_(Grant.valid_from.is_(None), Grant.valid_from <= as_of),
        or_(Grant.valid_to.is_(None), Grant.valid_to > as_of),
    )


def grants(session: Session, as_of: datetime) -> dict[str, Any]:
    """Grants in force at ``as_of`` (all publishers: grants are not tied to a source)."""
    stmt = (
        select(Grant)
        .where(grant_in_force(as_of))
        .order_by(Grant.valid_to.is_(None), Grant.valid_to, Grant.id)
    )
    soon = as_of + timedelta(days=EXPIRING_DAYS)
    active = []
    for grant in session.scalars(stmt):
        valid_to = utc(grant.valid_to) if grant.valid_to else None
        active.append(
            {
                "id": grant.id,
                "publisher": grant.publisher,
                "scope": grant.scope,
                "article_url": grant.article_url,
                "valid_from": iso(grant.valid_from),
                "valid_to": iso(grant.valid_to),
                "reference": grant.reference,
                "expiring_soon": valid_to is not None and valid_to <= soon,
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "expiring_within_days": EXPIRING_DAYS,
        "active": len(active),
        "expiring_soon": sum(grant["expiring_soon"] for grant in active),
        "list": active,
    }
