"""User management for admins: add accounts, change roles, reset passwords, disable."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brwatch.accounts import (
    AccountError,
    Capability,
    create_user,
    disable_user,
    list_users,
    set_password,
    set_role,
)
from brwatch.storage.models import AuditEvent
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.routes._common import flash
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Admin = Annotated[SignedInUser, Depends(Access(Capability.MANAGE_USERS))]
Role = Literal["editor", "legal", "admin"]


def _user_dict(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "disabled": user.disabled,
        "locale": user.locale,
        "created_at": user.created_at,
    }


def _change(
    request: Request,
    admin: SignedInUser,
    name: str,
    action: str,
    change: Any,
    note: str | None = None,
) -> Response:
    """Apply one account change, audit it, go back to the list (or answer 400 saying why)."""
    try:
        with request.app.state.db.session() as session:
            user = change(session)
            session.add(
                AuditEvent(
                    user=admin.name,
                    entity="user",
                    entity_id=user.id,
                    action=action,
                    after={"name": user.name, "role": user.role, "disabled": user.disabled},
                    note=note,
                )
            )
    except AccountError as exc:
        raise WebError(400, "bad_account", str(exc)) from exc
    flash(request, N_("Account %(name)s updated."), name=name)
    return RedirectResponse("/users", status_code=303)


@router.get("/users", include_in_schema=False)
def users_page(request: Request, admin: Admin) -> Response:
    with request.app.state.db.session() as session:
        users = list_users(session)
        recent = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "user")
                .order_by(AuditEvent.id.desc())
                .limit(50)
            )
        )
    return render(request, "users.html", {"users": users, "audit": recent})


@router.post("/users", include_in_schema=False)
def users_add(
    request: Request,
    admin: Admin,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    return _change(request, admin, name, "create", lambda s: create_user(s, name, role, password))


@router.post("/users/{name}/role", include_in_schema=False)
def users_role(
    request: Request, name: str, admin: Admin, role: Annotated[Role, Form()]
) -> Response:
    if name == admin.name:
        raise WebError(400, "bad_account", N_("You cannot change your own role."))
    return _change(request, admin, name, "role", lambda s: set_role(s, name, role))


@router.post("/users/{name}/password", include_in_schema=False)
def users_password(
    request: Request, name: str, admin: Admin, password: Annotated[str, Form(max_length=1000)]
) -> Response:
    return _change(request, admin, name, "password", lambda s: set_password(s, name, password))


@router.post("/users/{name}/disable", include_in_schema=False)
def users_disable(
    request: Request, name: str, admin: Admin, disabled: Annotated[bool, Form()] = True
) -> Response:
    if name == admin.name:
        raise WebError(400, "bad_account", N_("You cannot disable your own account."))
    return _change(
        request,
        admin,
        name,
        "disable" if disabled else "enable",
        lambda s: disable_user(s, name, disabled),
    )


@router.get("/api/users", tags=["users"])
def users_api(request: Request, admin: Admin) -> list[dict[str, Any]]:
    with request.app.state.db.session() as session:
        return [_user_dict(u) for u in list_users(session)]
