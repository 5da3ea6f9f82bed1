"""Permission grants for the web pages: recording and revoking go through `brwatch.reuse`.

The reuse library validates and audits new grants and revocations (the gate reads the same
rows); editing a grant, which the library does not offer, is done here in the same audited way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.errors import BrwatchError
from brwatch.reuse import GrantError, add_grant, revoke_grant
from brwatch.reuse.grants import grant_json
from brwatch.storage import Database
from brwatch.storage.models import AuditEvent, Grant
from brwatch.web.i18n import N_

SCOPES = ("article", "all")
_FIELDS = ("publisher", "scope", "article_url", "valid_from", "valid_to", "conditions", "reference")


class GrantInputError(BrwatchError, ValueError):
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
        """The library's rules, with messages the interface can translate."""
        if not self.publisher.strip():
            raise GrantInputError(N_("A grant needs the publisher that gave it."))
        if self.scope not in SCOPES:
            raise GrantInputError(
                N_("Scope must be one article or all of the publisher's articles.")
            )
        if self.scope == "article" and not (self.article_url or "").strip():
            raise GrantInputError(N_("A grant for one article needs that article's URL."))
        if self.scope == "all" and self.article_url:
            raise GrantInputError(N_("A grant for all articles takes no article URL."))
        if self.article_url and not self.article_url.lower().startswith(("http://", "https://")):
            raise GrantInputError(N_("The article URL must start with http:// or https://."))
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise GrantInputError(N_("A grant cannot end before it starts."))
        return self


def grant_dict(grant: Grant) -> dict[str, Any]:
    return {"id": grant.id, **{name: getattr(grant, name) for name in _FIELDS}} | {
        "created_by": grant.created_by,
        "created_at": grant.created_at,
        "revoked_at": grant.revoked_at,
        "revoked_by": grant.revoked_by,
    }


def list_grants(session: Session, include_revoked: bool = True) -> list[Grant]:
    query = select(Grant).order_by(Grant.revoked_at.is_not(None), Grant.publisher, Grant.id)
    if not include_revoked:
        query = query.where(Grant.revoked_at.is_(None))
    return list(session.scalars(query))


def get_grant(session: Session, grant_id: int) -> Grant | None:
    return session.get(Grant, grant_id)


def create_grant(db: Database, fields: GrantFields, user: str) -> Grant:
    fields = fields.checked()
    try:
        return add_grant(db, **{name: getattr(fields, name) for name in _FIELDS}, created_by=user)
    except GrantError as exc:
        raise GrantInputError(str(exc)) from exc


def update_grant(session: Session, grant: Grant, fields: GrantFields, user: str) -> Grant:
    if grant.revoked_at is not None:
        raise GrantInputError(N_("A revoked grant cannot be edited."))
    fields = fields.checked()
    before = grant_json(grant)
    for name in _FIELDS:
        setattr(grant, name, getattr(fields, name))
    session.flush()
    session.add(
        AuditEvent(
            user=user,
            entity="grant",
            entity_id=grant.id,
            action="edit",
            before=before,
            after=grant_json(grant),
        )
    )
    return grant


def revoke(db: Database, grant_id: int, user: str) -> Grant:
    try:
        return revoke_grant(db, grant_id, by=user)
    except GrantError as exc:
        raise GrantInputError(str(exc)) from exc
