"""Permission grants for the web pages: the form's rules with messages the interface can
translate, in front of `brwatch.reuse.grants`, which records, edits, revokes, lists and audits
grants for the web app, the CLI and the gate alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from brwatch.errors import BrwatchError
from brwatch.reuse.grants import GrantError, add_grant, edit_grant, revoke_grant
from brwatch.storage import Database
from brwatch.storage.models import Grant
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


def _values(fields: GrantFields) -> dict[str, Any]:
    return {name: getattr(fields, name) for name in _FIELDS}


def create_grant(db: Database, fields: GrantFields, user: str) -> Grant:
    try:
        return add_grant(db, **_values(fields.checked()), created_by=user)
    except GrantError as exc:
        raise GrantInputError(str(exc)) from exc


def update_grant(session: Session, grant: Grant, fields: GrantFields, user: str) -> Grant:
    if grant.revoked_at is not None:
        raise GrantInputError(N_("A revoked grant cannot be edited."))
    try:
        return edit_grant(session, grant, **_values(fields.checked()), by=user)
    except GrantError as exc:
        raise GrantInputError(str(exc)) from exc


def revoke(db: Database, grant_id: int, user: str) -> Grant:
    try:
        return revoke_grant(db, grant_id, by=user)
    except GrantError as exc:
        raise GrantInputError(str(exc)) from exc
