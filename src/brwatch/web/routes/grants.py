"""Permission grants: legal creates, edits and revokes them (audited); editors can look them up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brwatch.accounts import Capability
from brwatch.reuse.grants import grant_dict, list_grants
from brwatch.storage.models import Grant
from brwatch.web.decisions import audit_trail
from brwatch.web.errors import WebError
from brwatch.web.grants_store import (
    GrantFields,
    GrantInputError,
    create_grant,
    revoke,
    update_grant,
)
from brwatch.web.i18n import N_
from brwatch.web.item_view import audit_dict
from brwatch.web.routes._common import flash
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Viewer = Annotated[SignedInUser, Depends(Access(Capability.VIEW_GRANTS))]
Manager = Annotated[SignedInUser, Depends(Access(Capability.MANAGE_GRANTS))]


class GrantIn(BaseModel):
    publisher: str = Field(min_length=1, max_length=300)
    scope: Literal["article", "all"] = "all"
    article_url: str | None = Field(None, max_length=2048)
    valid_from: date | None = None
    valid_to: date | None = Field(None, description="last day the grant is valid (inclusive)")
    conditions: str | None = Field(None, max_length=4000)
    reference: str | None = Field(None, max_length=4000)

    def fields(self) -> GrantFields:
        return GrantFields(
            publisher=self.publisher.strip(),
            scope=self.scope,
            article_url=(self.article_url or "").strip() or None,
            valid_from=datetime.combine(self.valid_from, time.min, tzinfo=UTC)
            if self.valid_from
            else None,
            valid_to=datetime.combine(self.valid_to, time.max, tzinfo=UTC)
            if self.valid_to
            else None,
            conditions=(self.conditions or "").strip() or None,
            reference=(self.reference or "").strip() or None,
        )


def _grant_form(
    publisher: Annotated[str, Form(max_length=300)] = "",
    scope: Annotated[Literal["article", "all"], Form()] = "all",
    article_url: Annotated[str, Form(max_length=2048)] = "",
    valid_from: Annotated[date | None, Form()] = None,
    valid_to: Annotated[date | None, Form()] = None,
    conditions: Annotated[str, Form(max_length=4000)] = "",
    reference: Annotated[str, Form(max_length=4000)] = "",
) -> GrantIn:
    if not publisher.strip():
        raise WebError(400, "bad_grant", N_("A grant needs the publisher that gave it."))
    return GrantIn(
        publisher=publisher,
        scope=scope,
        article_url=article_url,
        valid_from=valid_from,
        valid_to=valid_to,
        conditions=conditions,
        reference=reference,
    )


GrantForm = Annotated[GrantIn, Depends(_grant_form)]


def _grant(session: Session, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise WebError(404, "not_found", N_("Grant %(id)s does not exist."), id=grant_id)
    return grant


def _existing(request: Request, grant_id: int) -> int:
    with request.app.state.db.session() as session:
        return _grant(session, grant_id).id


def _bad_grant(exc: GrantInputError) -> WebError:
    return WebError(400, "bad_grant", exc.message)


@router.get("/grants", include_in_schema=False)
def grants_page(request: Request, user: Viewer) -> Response:
    with request.app.state.db.session() as session:
        grants = list_grants(session, revoked_last=True)
    return render(request, "grants.html", {"grants": grants})


@router.post("/grants", include_in_schema=False)
def grants_create(request: Request, user: Manager, form: GrantForm) -> Response:
    try:
        grant = create_grant(request.app.state.db, form.fields(), user.name)
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc
    flash(request, N_("Grant %(id)s recorded."), id=grant.id)
    return RedirectResponse(f"/grants/{grant.id}", status_code=303)


@router.get("/grants/{grant_id}", include_in_schema=False)
def grant_page(request: Request, grant_id: int, user: Viewer) -> Response:
    with request.app.state.db.session() as session:
        grant = _grant(session, grant_id)
        audit = audit_trail(session, "grant", grant_id)
    return render(request, "grant.html", {"grant": grant, "audit": audit})


@router.post("/grants/{grant_id}", include_in_schema=False)
def grant_edit(request: Request, grant_id: int, user: Manager, form: GrantForm) -> Response:
    try:
        with request.app.state.db.session() as session:
            update_grant(session, _grant(session, grant_id), form.fields(), user.name)
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc
    flash(request, N_("Grant %(id)s updated."), id=grant_id)
    return RedirectResponse(f"/grants/{grant_id}", status_code=303)


@router.post("/grants/{grant_id}/revoke", include_in_schema=False)
def grant_revoke(request: Request, grant_id: int, user: Manager) -> Response:
    try:
        revoke(request.app.state.db, _existing(request, grant_id), user.name)
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc
    flash(request, N_("Grant %(id)s revoked."), id=grant_id)
    return RedirectResponse(f"/grants/{grant_id}", status_code=303)


@router.get("/api/grants", tags=["grants"])
def grants_api(
    request: Request, user: Viewer, include_revoked: bool = True
) -> list[dict[str, Any]]:
    with request.app.state.db.session() as session:
        grants = list_grants(session, include_revoked=include_revoked, revoked_last=True)
        return [grant_dict(g) for g in grants]


@router.post("/api/grants", tags=["grants"], status_code=201)
def grants_create_api(request: Request, body: GrantIn, user: Manager) -> dict[str, Any]:
    try:
        return grant_dict(create_grant(request.app.state.db, body.fields(), user.name))
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc


@router.get("/api/grants/{grant_id}", tags=["grants"])
def grant_api(request: Request, grant_id: int, user: Viewer) -> dict[str, Any]:
    with request.app.state.db.session() as session:
        grant = _grant(session, grant_id)
        return {
            **grant_dict(grant),
            "audit": [audit_dict(e) for e in audit_trail(session, "grant", grant_id)],
        }


@router.put("/api/grants/{grant_id}", tags=["grants"])
def grant_edit_api(request: Request, grant_id: int, body: GrantIn, user: Manager) -> dict[str, Any]:
    try:
        with request.app.state.db.session() as session:
            return grant_dict(
                update_grant(session, _grant(session, grant_id), body.fields(), user.name)
            )
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc


@router.post("/api/grants/{grant_id}/revoke", tags=["grants"])
def grant_revoke_api(request: Request, grant_id: int, user: Manager) -> dict[str, Any]:
    try:
        return grant_dict(revoke(request.app.state.db, _existing(request, grant_id), user.name))
    except GrantInputError as exc:
        raise _bad_grant(exc) from exc
