"""Gathering a report from the database.

Every count is a GROUP BY in SQL, so the cost grows with the number of groups, not of articles;
per-article rows are loaded only for the items the report details (restricted items and
exceptions), and their decision trails and snapshots in chunked ``IN`` queries.

What falls in the period:
- articles by when they were first collected (``first_seen_at``), so a re-crawl never moves an
  article into a later report and old reports keep their numbers;
- review decisions by when they were made (``AuditEvent.at``), reuse-gate answers by
  ``decided_at``; grants are shown as of the end of the period (or now, if that is earlier).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from brwatch.reports.model import (
    EXCEPTION_KINDS,
    FLAGGED_LINKS,
    FLAGGED_STATUSES,
    LINK_OUTCOMES,
    NOT_CHECKED,
    RESTRICTED_STATUSES,
    REUSE_STATES,
    REVIEW_STATES,
    Report,
    ReportError,
)
from brwatch.reports.period import Moment, Period
from brwatch.rights.model import STATUSES as RIGHTS_STATUSES
from brwatch.storage import Database
from brwatch.storage.models import Article, AuditEvent, GateDecision, Grant, Snapshot

log = logging.getLogger(__name__)

# Grants ending within this many days of the report's end are "expiring soon".
EXPIRING_DAYS = 30
# Ids per IN (...) query: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 2000
# Evidence text is quoted up to this many characters; the snapshot holds the rest.
NOTICE_CHARS = 500
BROKEN_LINKS = ("missing", "broken")


def build_report(
    db: Database,
    since: Moment = None,
    until: Moment = None,
    sources: Sequence[str] | None = None,
    now: datetime | None = None,
    *,
    sources_file: str | None = None,
    item_limit: int | None = None,
) -> Report:
    """The rights report for ``since <= first seen < until`` and the chosen sources (None: all).

    ``now`` fixes the generation time (and the default ``until``) for reproducible output.
    ``item_limit`` loads details for only the newest N items (HTML and PDF show at most
    ``ITEM_CAPS[fmt]``); ``items_total`` still counts them all. JSON and CSV want None.
    Raises ReportError for an unreadable date, an empty period or an unknown source.
    """
    now = _utc(now) if now else datetime.now(UTC)
    period = Period.parse(since, until, now)
    chosen, notes = _check_sources(db, sources, sources_file)
    as_of = min(period.until, now)
    scope = _Scope(period, chosen)
    with db.session() as session:
        totals, by_source = _counts(session, scope)
        exceptions = _article_exceptions(session, scope, as_of) + _gate_exceptions(session, scope)
        _date_article_exceptions(session, exceptions)
        exceptions.sort(key=_exception_order)
        items, items_total = _items(session, scope, exceptions, item_limit)
        report = Report(
            period=period.to_dict(),
            generated_at=now.isoformat(),
            ruleset=_current_ruleset(),
            rulesets_in_data=_rulesets(session, scope),
            database=db.display_url,
            database_revision=db.current_revision(),
            filters={"sources": chosen},
            totals=totals,
            by_source=by_source,
            trend=_trend(session, scope),
            decisions=_decisions(session, scope),
            reuse_gate=_reuse_gate(session, scope),
            grants=_grants(session, as_of),
            exceptions=exceptions,
            items=items,
            items_total=items_total,
            notes=notes,
        )
    return report


# -- scope ---------------------------------------------------------------------------------------


class _Scope:
    """The period and source filter, applied the same way to every query."""

    def __init__(self, period: Period, sources: list[str] | None) -> None:
        self.period = period
        self.sources = sources

    def articles(self, stmt: Select[Any]) -> Select[Any]:
        """Articles first collected in the period, from the chosen sources."""
        stmt = stmt.where(Article.first_seen_at < self.period.until)
        if self.period.since is not None:
            stmt = stmt.where(Article.first_seen_at >= self.period.since)
        return self.of_sources(stmt)

    def of_sources(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.where(Article.source.in_(self.sources)) if self.sources else stmt

    def during(self, stmt: Select[Any], column: Any) -> Select[Any]:
        stmt = stmt.where(column < self.period.until)
        return stmt.where(column >= self.period.since) if self.period.since else stmt


def _check_sources(
    db: Database, sources: Sequence[str] | None, sources_file: str | None
) -> tuple[list[str] | None, list[str]]:
    """The chosen source names, sorted; unknown = neither in the sources file nor in the DB."""
    if not sources:
        return None, []
    wanted = sorted({name.strip() for name in sources})
    if "" in wanted:
        raise ReportError("source: an empty source name was given")
    configured, notes = _configured_sources(sources_file)
    missing = [name for name in wanted if name not in configured]
    if missing:
        with db.session() as session:
            stored = set(
                session.scalars(
                    select(Article.source).where(Article.source.in_(missing)).distinct()
                )
            )
        unknown = [name for name in missing if name not in stored]
        if unknown:
            raise ReportError(
                f"unknown source {', '.join(unknown)}: not in the sources file and no article "
                "in the database comes from it"
            )
    return wanted, notes


def _configured_sources(sources_file: str | None) -> tuple[set[str], list[str]]:
    try:
        from brwatch.sources import load_sources
    except ImportError:  # the sources package is optional for a report: the DB still knows names
        return set(), []
    try:
        return {source.name for source in load_sources(sources_file)}, []
    except Exception as exc:  # a broken sources file must not stop a report on stored data
        log.warning("sources file not usable, checking source names against the database: %s", exc)
        return set(), [
            "The sources file could not be read; source names were checked against the database."
        ]


# -- counts --------------------------------------------------------------------------------------


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
    """Add one GROUP BY row; everything but ``articles`` counts relevant articles only."""
    n = row.n
    counts["articles"] += n
    if not row.relevant:
        return
    counts["relevant"] += n
    status = row.rights_status or NOT_CHECKED
    link = row.attribution_link or NOT_CHECKED
    state = row.review_state or "pending"
    _bump(counts["by_status"], status, n)
    _bump(counts["by_review_state"], state, n)
    _bump(counts["by_attribution_link"], link, n)
    if status in FLAGGED_STATUSES or row.rights_conflict or link in FLAGGED_LINKS:
        counts["flagged"] += n
        counts["reviewed" if state != "pending" else "pending_review"] += n
    if row.rights_conflict:
        counts["conflicts"] += n
        if state == "pending":
            counts["open_conflicts"] += n


def _bump(counter: dict[str, int], key: str, n: int) -> None:
    counter[key] = counter.get(key, 0) + n


def _counts(session: Session, scope: _Scope) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    columns = (
        Article.source,
        Article.relevant,
        Article.rights_status,
        Article.rights_conflict,
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


def _rulesets(session: Session, scope: _Scope) -> dict[str, int]:
    stmt = scope.articles(select(Article.ruleset, func.count()).group_by(Article.ruleset))
    return dict(sorted((ruleset or "none", n) for ruleset, n in session.execute(stmt)))


def _current_ruleset() -> str | None:
    """The version of the rules the engine would apply today, when the engine is installed."""
    try:
        from brwatch.rights import ruleset_version
    except ImportError:
        return None
    try:
        return str(ruleset_version())
    except Exception as exc:  # a broken rule file is reported by `brwatch rules test`, not here
        log.info("ruleset version unavailable: %s", exc)
        return None


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


def _trend(session: Session, scope: _Scope) -> dict[str, Any]:
    """Articles, relevant and restricted relevant articles per day, week or month."""
    day = _day(session).label("day")
    restricted = or_(Article.rights_status.in_(RESTRICTED_STATUSES), Article.rights_conflict)
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
    last = (scope.period.until - timedelta(microseconds=1)).date()
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


def _review_state_in(column: Any) -> ColumnElement[str]:
    """The review state an audit record's before/after JSON names, read by the database."""
    # The web app writes {"state": ...}; older or other writers may say "review_state".
    return func.coalesce(column["state"].as_string(), column["review_state"].as_string())


def _decisions(session: Session, scope: _Scope) -> dict[str, Any]:
    """Review decisions made in the period, by the state they set."""
    state = _review_state_in(AuditEvent.after).label("state")
    stmt = select(state, func.count().label("n")).where(
        AuditEvent.entity == "article", AuditEvent.action == "decide"
    )
    stmt = scope.during(stmt, AuditEvent.at).group_by(state)
    if scope.sources:
        stmt = scope.of_sources(stmt.join(Article, Article.id == AuditEvent.entity_id))
    by_outcome = dict.fromkeys(REVIEW_STATES[1:], 0)
    for row in session.execute(stmt):
        _bump(by_outcome, row.state or "unknown", row.n)
    return {"total": sum(by_outcome.values()), "by_outcome": by_outcome}


def _reuse_gate(session: Session, scope: _Scope) -> dict[str, Any]:
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


def _grant_valid(as_of: datetime) -> ColumnElement[bool]:
    return and_(
        or_(Grant.revoked_at.is_(None), Grant.revoked_at > as_of),
        or_(Grant.valid_from.is_(None), Grant.valid_from <= as_of),
        or_(Grant.valid_to.is_(None), Grant.valid_to > as_of),
    )


def _grants(session: Session, as_of: datetime) -> dict[str, Any]:
    """Grants in force at ``as_of`` (all publishers: grants are not tied to a source)."""
    stmt = (
        select(Grant)
        .where(_grant_valid(as_of))
        .order_by(Grant.valid_to.is_(None), Grant.valid_to, Grant.id)
    )
    soon = as_of + timedelta(days=EXPIRING_DAYS)
    active = []
    for grant in session.scalars(stmt):
        valid_to = _utc(grant.valid_to) if grant.valid_to else None
        active.append(
            {
                "id": grant.id,
                "publisher": grant.publisher,
                "scope": grant.scope,
                "article_url": grant.article_url,
                "valid_from": _iso(grant.valid_from),
                "valid_to": _iso(grant.valid_to),
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


# -- exceptions ----------------------------------------------------------------------------------


def _covering_grant(as_of: datetime) -> ColumnElement[bool]:
    """A grant in force at ``as_of`` for this article's URL or for its publisher."""
    names = (Article.source, Article.site_name, Article.origin)
    return (
        select(Grant.id)
        .where(
            _grant_valid(as_of),
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


def _article_exceptions(session: Session, scope: _Scope, as_of: datetime) -> list[dict[str, Any]]:
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


def _gate_exceptions(session: Session, scope: _Scope) -> list[dict[str, Any]]:
    """Reuse-gate passes in the period that should not have been (one row may be several kinds)."""
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
            Grant.revoked_at,
        )
        .select_from(GateDecision)
        .outerjoin(Article, Article.id == GateDecision.article_id)
        .outerjoin(Grant, Grant.id == GateDecision.grant_id)
        .where(
            GateDecision.outcome == "pass",
            or_(
                and_(
                    GateDecision.grant_id.is_(None),
                    Article.rights_status.in_(RESTRICTED_STATUSES),
                ),
                Article.attribution_link.in_(BROKEN_LINKS),
                grant_lapsed,
            ),
        )
        .order_by(GateDecision.decided_at, GateDecision.id)
    )
    stmt = scope.of_sources(scope.during(stmt, GateDecision.decided_at))
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in EXCEPTION_KINDS}
    for row in session.execute(stmt):
        extra = {
            "at": _iso(row.decided_at),
            "gate_decision_id": row.gate_id,
            "grant_id": row.grant_id,
            "grant_valid_to": _iso(row.valid_to),
            "url": row.url or row.article_url,
        }
        if row.grant_id is None and row.rights_status in RESTRICTED_STATUSES:
            found["reused_against_rights"].append(_exception("reused_against_rights", row, **extra))
        if row.attribution_link in BROKEN_LINKS:
            found["reused_without_attribution_link"].append(
                _exception("reused_without_attribution_link", row, **extra)
            )
        if row.grant_id is not None and _lapsed(row):
            found["grant_used_after_expiry"].append(
                _exception("grant_used_after_expiry", row, **extra)
            )
    return [entry for kind in EXCEPTION_KINDS for entry in found[kind]]


def _exception_order(entry: dict[str, Any]) -> tuple[int, str, int, int]:
    """Kind by kind (in EXCEPTION_KINDS order), then oldest first."""
    return (
        list(EXCEPTION_KINDS).index(entry["kind"]),
        entry["at"] or "",
        entry["article_id"] or 0,
        entry["gate_decision_id"] or 0,
    )


def _lapsed(row: Any) -> bool:
    decided = _utc(row.decided_at)
    if row.valid_to is not None and _utc(row.valid_to) < decided:
        return True
    return row.revoked_at is not None and _utc(row.revoked_at) <= decided


# -- items ---------------------------------------------------------------------------------------

_ITEM_COLUMNS = (
    Article.id,
    Article.title,
    Article.url,
    Article.canonical_url,
    Article.source,
    Article.lang,
    Article.published,
    Article.first_seen_at,
    Article.fetched_at,
    Article.relevant,
    Article.rights,
    Article.rights_status,
    Article.rights_conflict,
    Article.ruleset,
    Article.origin,
    Article.attribution_link,
    Article.review_state,
    Article.content_sha256,
)


def _items(
    session: Session, scope: _Scope, exceptions: list[dict[str, Any]], limit: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Restricted relevant articles of the period plus every article named in an exception,
    newest first, each with notices, rule ids, snapshot hash and decision trail.

    Returns the first ``limit`` items (all when None) and how many there are in total: the
    order is settled on two cheap columns before any verdict or trail is loaded.
    """
    restricted = scope.articles(
        select(Article.id, Article.first_seen_at).where(
            Article.relevant,
            or_(Article.rights_status.in_(RESTRICTED_STATUSES), Article.rights_conflict),
        )
    )
    seen = {article_id: _utc(moment) for article_id, moment in session.execute(restricted)}
    extra_ids = sorted({e["article_id"] for e in exceptions if e["article_id"]} - seen.keys())
    for chunk in _chunks(extra_ids):
        stmt = select(Article.id, Article.first_seen_at).where(Article.id.in_(chunk))
        seen.update((article_id, _utc(moment)) for article_id, moment in session.execute(stmt))
    ordered = sorted(seen, key=lambda article_id: (seen[article_id], article_id), reverse=True)
    chosen = ordered if limit is None else ordered[:limit]
    rows: dict[int, Any] = {}
    for chunk in _chunks(chosen):
        rows.update(
            (row.id, row)
            for row in session.execute(select(*_ITEM_COLUMNS).where(Article.id.in_(chunk)))
        )
    trails = _trails(session, chosen)
    snapshots = _snapshot_hashes(session, chosen)
    kinds: dict[int, list[str]] = {}
    for entry in exceptions:
        if entry["article_id"] and entry["kind"] not in kinds.setdefault(entry["article_id"], []):
            kinds[entry["article_id"]].append(entry["kind"])
    items = [
        _item(
            rows[article_id],
            trails.get(article_id, []),
            snapshots.get(article_id),
            kinds.get(article_id, []),
        )
        for article_id in chosen
    ]
    return items, len(ordered)


def _date_article_exceptions(session: Session, exceptions: list[dict[str, Any]]) -> None:
    """An exception about an article's review state dates from its last decision."""
    undated = sorted({e["article_id"] for e in exceptions if e["at"] is None and e["article_id"]})
    last: dict[int, str | None] = {}
    for chunk in _chunks(undated):
        stmt = (
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(AuditEvent.entity == "article", AuditEvent.action == "decide")
            .where(AuditEvent.entity_id.in_(chunk))
            .group_by(AuditEvent.entity_id)
        )
        last.update((article_id, _iso(moment)) for article_id, moment in session.execute(stmt))
    for entry in exceptions:
        if entry["at"] is None and entry["article_id"]:
            entry["at"] = last.get(entry["article_id"])


def _item(
    row: Any, trail: list[dict[str, Any]], snapshot_sha: str | None, exception_kinds: list[str]
) -> dict[str, Any]:
    rights = row.rights or {}
    notices = [
        {
            "rule_id": evidence.get("rule_id"),
            "kind": evidence.get("kind"),
            "status": evidence.get("status"),
            "scope": evidence.get("scope"),
            "text": str(evidence.get("text") or "")[:NOTICE_CHARS],
        }
        for evidence in rights.get("evidence") or []
        if isinstance(evidence, dict) and evidence.get("status")
    ]
    rule_ids = sorted(
        {
            str(e.get("rule_id"))
            for e in rights.get("evidence") or []
            if isinstance(e, dict) and e.get("rule_id")
        }
    )
    return {
        "id": row.id,
        "title": row.title,
        "url": row.url,
        "canonical_url": row.canonical_url,
        "source": row.source,
        "lang": row.lang,
        "published": _iso(row.published),
        "collected_at": _iso(row.first_seen_at),
        "crawled_at": _iso(row.fetched_at),
        "relevant": bool(row.relevant),
        "restricted": bool(
            row.relevant and (row.rights_status in RESTRICTED_STATUSES or row.rights_conflict)
        ),
        "rights_status": row.rights_status,
        "license": rights.get("license"),
        "conflict": bool(row.rights_conflict),
        "origin": row.origin,
        "notices": notices,
        "rule_ids": rule_ids,
        "ruleset": row.ruleset,
        "attribution_link": row.attribution_link,
        "review_state": row.review_state,
        "snapshot_sha256": snapshot_sha or row.content_sha256,
        "decisions": trail,
        "exceptions": exception_kinds,
    }


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _trails(session: Session, ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Every audit event about each article, oldest first: the decision trail."""
    trails: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(list(ids)):
        stmt = (
            select(
                AuditEvent.entity_id,
                AuditEvent.at,
                AuditEvent.user,
                AuditEvent.action,
                _review_state_in(AuditEvent.before).label("before"),
                _review_state_in(AuditEvent.after).label("after"),
                AuditEvent.note,
            )
            .where(AuditEvent.entity == "article", AuditEvent.entity_id.in_(chunk))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        for event in session.execute(stmt):
            trails.setdefault(event.entity_id, []).append(
                {
                    "at": _iso(event.at),
                    "user": event.user,
                    "action": event.action,
                    "from": event.before,
                    "to": event.after,
                    "note": event.note,
                }
            )
    return trails


def _snapshot_hashes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The SHA-256 of each article's newest snapshot."""
    hashes: dict[int, str] = {}
    for chunk in _chunks(list(ids)):
        stmt = (
            select(Snapshot.article_id, Snapshot.sha256)
            .where(Snapshot.article_id.in_(chunk))
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        for article_id, sha in session.execute(stmt):
            hashes[article_id] = sha  # later rows are newer
    return hashes


# -- time helpers --------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return _utc(moment).isoformat() if moment else None
