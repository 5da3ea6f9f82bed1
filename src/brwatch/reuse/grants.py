"""Permission grants recorded by legal: who granted, for what, from when to when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.attribution.registry import PublisherRegistry, load_publishers
from brwatch.errors import BrwatchError
from brwatch.storage import Database
from brwatch.storage.models import AuditEvent, Grant

SCOPES = ("article", "all")


class GrantError(BrwatchError, ValueError):
    """A grant that cannot be recorded or changed; the message says why."""


def parse_when(value: str | datetime | date | None, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time as an aware UTC datetime. A bare end date covers that whole day."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
        if end_of_day:
            moment += timedelta(days=1) - timedelta(microseconds=1)
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise GrantError(f"{value!r} is not a date (use YYYY-MM-DD or ISO 8601)") from exc
        if end_of_day and len(text) == 10:
            moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def grant_dict(grant: Grant) -> dict:
    return {
        "id": grant.id,
        "publisher": grant.publisher,
        "scope": grant.scope,
        "article_url": grant.article_url,
        "valid_from": grant.valid_from,
        "valid_to": grant.valid_to,
        "conditions": grant.conditions,
        "reference": grant.reference,
        "created_by": grant.created_by,
        "created_at": grant.created_at,
        "revoked_at": grant.revoked_at,
        "revoked_by": grant.revoked_by,
    }


def _checked(
    publisher: str,
    scope: str,
    article_url: str | None,
    valid_from: str | datetime | date | None,
    valid_to: str | datetime | date | None,
    registry: PublisherRegistry | None,
) -> dict[str, Any]:
    """A grant's fields validated and normalised, for recording it or editing it alike."""
    if not publisher or not publisher.strip():
        raise GrantError("a grant needs a publisher")
    if scope not in SCOPES:
        raise GrantError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "article" and not (article_url and article_url.strip()):
        raise GrantError("a grant with scope 'article' needs the article URL (--article URL)")
    if scope == "all" and article_url:
        raise GrantError("a grant with scope 'all' covers every article; drop the article URL")
    start = parse_when(valid_from)
    end = parse_when(valid_to, end_of_day=True)
    if start and end and end < start:
        raise GrantError(
            f"the grant ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    # Store the registry id when the name is known, so grants match whatever name a page uses.
    known = (registry or load_publishers()).resolve(publisher.strip())
    return {
        "publisher": known.id if known else publisher.strip(),
        "scope": scope,
        "article_url": article_url.strip() if article_url else None,
        "valid_from": start,
        "valid_to": end,
    }


def add_grant(
    db: Database,
    publisher: str,
    scope: str,
    *,
    article_url: str | None = None,
    valid_from: str | datetime | date | None = None,
    valid_to: str | datetime | date | None = None,
    conditions: str | None = None,
    reference: str | None = None,
    created_by: str | None = None,
    registry: PublisherRegistry | None = None,
) -> Grant:
    """Validate and record a grant (and its audit event) in one transaction."""
    grant = Grant(
        **_checked(publisher, scope, article_url, valid_from, valid_to, registry),
        conditions=conditions,
        reference=reference,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    with db.session() as session:
        session.add(grant)
        session.flush()
        _audit(session, grant, "add", created_by, before=None)
    return grant


def edit_grant(
    session: Session,
    grant: Grant,
    publisher: str,
    scope: str,
    *,
    article_url: str | None = None,
    valid_from: str | datetime | date | None = None,
    valid_to: str | datetime | date | None = None,
    conditions: str | None = None,
    reference: str | None = None,
    by: str | None = None,
    registry: PublisherRegistry | None = None,
) -> Grant:
    """Change a grant in the caller's transaction, audited with its state before and after."""
    if grant.revoked_at is not None:
        raise GrantError(f"grant #{grant.id} is revoked and cannot be edited")
    fields = _checked(publisher, scope, article_url, valid_from, valid_to, registry)
    before = grant_json(grant)
    for name, value in {**fields, "conditions": conditions, "reference": reference}.items():
        setattr(grant, name, value)
    session.flush()
    _audit(session, grant, "edit", by, before)
    return grant


def _audit(
    session: Session, grant: Grant, action: str, user: str | None, before: dict | None
) -> None:
    """Every change to a grant is an AuditEvent, as the web app's grant pages record them."""
    session.add(
        AuditEvent(
            user=user,
            entity="grant",
            entity_id=grant.id,
            action=action,
            before=before,
            after=grant_json(grant),
        )
    )


def _jsonable(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def grant_json(grant: Grant) -> dict:
    """A grant as JSON-ready data (times in ISO 8601 with zone)."""
    return _jsonable(grant_dict(grant))


def list_grants(
    source: Database | Session,
    *,
    active_only: bool = False,
    include_revoked: bool = True,
    publisher: str | None = None,
    at: datetime | None = None,
    revoked_last: bool = False,
) -> list[Grant]:
    """Grants in id order (`revoked_last`: those in force first, by publisher, as the web app
    lists them); from a Database in a session of its own, or in the caller's Session."""
    query = select(Grant)
    if revoked_last:
        query = query.order_by(Grant.revoked_at.is_not(None), Grant.publisher, Grant.id)
    else:
        query = query.order_by(Grant.id)
    if not include_revoked:
        query = query.where(Grant.revoked_at.is_(None))
    if publisher:
        known = load_publishers().resolve(publisher)
        query = query.where(Grant.publisher.in_({publisher, known.id if known else publisher}))
    if isinstance(source, Session):
        grants = list(source.scalars(query))
    else:
        with source.session() as session:
            grants = list(session.scalars(query))
    if active_only:
        grants = [g for g in grants if is_active(g, at)]
    return grants


def revoke_grant(db: Database, grant_id: int, *, by: str | None = None) -> Grant:
    with db.session() as session:
        grant = session.get(Grant, grant_id)
        if grant is None:
            raise GrantError(f"there is no grant #{grant_id}")
        if grant.revoked_at is not None:
            raise GrantError(f"grant #{grant_id} was already revoked on {grant.revoked_at}")
        before = grant_json(grant)
        grant.revoked_at = datetime.now(UTC)
        grant.revoked_by = by
        _audit(session, grant, "revoke", by, before)
    return grant


def is_active(grant: Grant, at: datetime | None = None) -> bool:
    moment = at or datetime.now(UTC)
    start, end = grant.valid_from, grant.valid_to
    return (
        grant.revoked_at is None
        and (start is None or start <= moment)
        and (end is None or moment <= end)
    )


def url_key(url: str) -> str:
    """A URL compared loosely: no scheme, no www., no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{path}{query}"


def grants_for(
    session: Session,
    publisher_keys: Iterable[str],
    article_urls: Iterable[str],
    registry: PublisherRegistry | None = None,
) -> list[Grant]:
    """Every grant (active or not) covering one of these article URLs, or all articles of one
    of these publishers. A grant's publisher may be an id, any alias or a domain (the web app
    stores what legal typed), so it is resolved through the registry before comparing."""
    registry = registry or load_publishers()
    keys = {k.casefold() for k in publisher_keys if k}
    urls = {url_key(u) for u in article_urls if u}

    def by_publisher(grant: Grant) -> bool:
        known = registry.resolve(grant.publisher)
        return grant.publisher.casefold() in keys or (known is not None and known.id in keys)

    return [
        g
        for g in session.scalars(select(Grant).order_by(Grant.id))
        if (g.scope == "all" and by_publisher(g))
        or (g.scope == "article" and g.article_url and url_key(g.article_url) in urls)
    ]
