"""Permission grants, written against the Grant model and audited.

Kept in this one module so the web app can switch to `brwatch.reuse`'s grant functions when
they cover editing as well; every change is an AuditEvent(entity="grant").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.storage.models import AuditEvent, Grant, utcnow
from brwatch.web.i18n import N_

SCOPES = ("article", "all")
_FIELDS = ("publisher", "scope", "article_url", "valid_from", "valid_to", "conditions", "reference")


class GrantInputError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class GrantFields:
    publisher: str
    scope: str = "all"
    article_url: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    conditions: str | None = None
    reference: str | None = None

    def checked(self) -> GrantFields:
        if not self.publisher.strip():
            raise GrantInputError(N_("A grant needs the publisher that gave it."))
        if self.scope not in SCOPES:
            raise GrantInputError(
                N_("Scope must be one article or all of the publisher's articles.")
            )
        if self.scope == "article" and not (self.article_url or "").strip():
            raise GrantInputError(N_("A grant for one article needs that article's URL."))
        if self.article_url and not self.article_url.strip().lower().startswith(
            ("http://", "https://")
        ):
            raise GrantInputError(N_("The article URL must start with http:// or https://."))
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise GrantInputError(N_("A grant cannot end before it starts."))
        return self


def grant_dict(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id,
        **{name: getattr(grant, name) for name in _FIELDS},
        "created_by": grant.created_by,
        "created_at": grant.created_at,
        "revoked_at": grant.revoked_at,
        "revoked_by": grant.revoked_by,
    }


def _snapshot(grant: Grant) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in grant_dict(grant).items()
    }


def _audit(
    session: Session,
    grant: Grant,
    action: str,
    user: str,
    before: dict | None,
    note: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            user=user,
            entity="grant",
            entity_id=grant.id,
            action=action,
            before=before,
            after=_snapshot(grant),
            note=note,
        )
    )


def list_grants(session: Session, include_revoked: bool = True) -> list[Grant]:
    query = select(Grant).order_by(Grant.revoked_at.is_not(None), Grant.publisher, Grant.id)
    if not include_revoked:
        query = query.where(Grant.revoked_at.is_(None))
    return list(session.scalars(query))


def get_grant(session: Session, grant_id: int) -> Grant | None:
    return session.get(Grant, grant_id)


def create_grant(session: Session, fields: GrantFields, user: str) -> Grant:
    fields = fields.checked()
    grant = Grant(**{name: getattr(fields, name) for name in _FIELDS}, created_by=user)
    session.add(grant)
    session.flush()
    _audit(session, grant, "create", user, None)
    return grant


def update_grant(session: Session, grant: Grant, fields: GrantFields, user: str) -> Grant:
    if grant.revoked_at is not None:
        raise GrantInputError(N_("A revoked grant cannot be edited."))
    fields = fields.checked()
    before = _snapshot(grant)
    for name in _FIELDS:
        setattr(grant, name, getattr(fields, name))
    session.flush()
    _audit(session, grant, "edit", user, before)
    return grant


def revoke_grant(session: Session, grant: Grant, user: str, note: str | None = None) -> Grant:
    if grant.revoked_at is not None:
        raise GrantInputError(N_("This grant is already revoked."))
    before = _snapshot(grant)
    grant.revoked_at = utcnow()
    grant.revoked_by = user
    session.flush()
    _audit(session, grant, "revoke", user, before, note)
    return grant
