"""Login, logout, the health check and the user's own settings (interface language)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from brwatch.accounts import AccountError, Capability, authenticate, set_locale
from brwatch.web.errors import WebError, wants_json
from brwatch.web.i18n import LANGUAGES, N_
from brwatch.web.routes._common import flash, local_path
from brwatch.web.security import (
    PUBLIC,
    SIGNED_IN,
    SignedInUser,
    csrf_token,
    end_session,
    start_session,
)
from brwatch.web.templating import render

router = APIRouter()
LOGIN_REASONS = {
    "login_required": N_("Please log in."),
    "session_expired": N_("Your session has expired. Please log in again."),
    "session_ended": N_(
        "Your session is no longer valid (logged out, password or role changed, or account disabled). Please log in again."  # noqa: E501
    ),
}


@router.get("/healthz", tags=["health"])
def healthz(request: Request, _: Annotated[None, Depends(PUBLIC)]) -> JSONResponse:
    try:
        with request.app.state.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/login", include_in_schema=False)
def login_page(
    request: Request, _: Annotated[None, Depends(PUBLIC)], next: str = "/queue", reason: str = ""
) -> Response:
    csrf_token(request)
    return render(
        request, "login.html", {"next": local_path(next), "reason": LOGIN_REASONS.get(reason)}
    )


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    _: Annotated[None, Depends(PUBLIC)],
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    throttle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"
    wait = await run_in_threadpool(throttle.retry_after, name, client)
    if wait:
        return _throttled(request, next, name, wait)

    def check() -> object:
        with request.app.state.db.session() as session:
            return authenticate(session, name, password)

    user = await run_in_threadpool(check)
    if user is None:
        await run_in_threadpool(throttle.failed, name, client)
        return render(
            request,
            "login.html",
            {"next": local_path(next), "error": N_("Wrong user name or password."), "name": name},
            status_code=401,
        )
    await run_in_threadpool(throttle.succeeded, name, client)
    await run_in_threadpool(start_session, request, user)  # type: ignore[arg-type]
    return RedirectResponse(local_path(next), status_code=303)


def _throttled(request: Request, next: str, name: str, wait: int) -> Response:
    """429: the login page again, saying how long to wait, with Retry-After."""
    minutes = max(1, math.ceil(wait / 60))
    message = N_("Too many failed logins for this name. Wait %(minutes)s min before trying again.")
    if wants_json(request):
        raise WebError(429, "too_many_attempts", message, minutes=minutes, retry_after=wait)
    response = render(
        request,
        "login.html",
        {
            "next": local_path(next),
            "error": message,
            "error_params": {"minutes": minutes},
            "name": name,
        },
        status_code=429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, _: Annotated[SignedInUser, Depends(SIGNED_IN)]) -> Response:
    """Ends the session on the server too: a copy of the cookie no longer works."""
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", include_in_schema=False)
def home(request: Request, user: Annotated[SignedInUser, Depends(SIGNED_IN)]) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.post("/account/language", include_in_schema=False)
def choose_language(
    request: Request,
    user: Annotated[SignedInUser, Depends(SIGNED_IN)],
    locale: Annotated[str, Form()],
    back: Annotated[str, Form()] = "/queue",
) -> Response:
    if locale not in LANGUAGES:
        raise WebError(400, "bad_request", N_("Unknown language."))
    try:
        with request.app.state.db.session() as session:
            set_locale(session, user.name, locale)
    except AccountError as exc:
        raise WebError(400, "bad_request", str(exc)) from exc
    flash(request, N_("Language changed."))
    return RedirectResponse(local_path(back), status_code=303)


@router.get("/api/openapi.json", include_in_schema=False)
def openapi_description(
    request: Request, _: Annotated[SignedInUser, Depends(SIGNED_IN)]
) -> JSONResponse:
    """The OpenAPI description of the JSON API (logged-in users only, like everything else)."""
    return JSONResponse(request.app.openapi())


@router.get("/api/me", tags=["account"])
def me(user: Annotated[SignedInUser, Depends(SIGNED_IN)], request: Request) -> dict:
    """Who is logged in, with what role, and the CSRF token API writes must send."""
    return {
        "name": user.name,
        "role": user.role,
        "locale": user.locale,
        "capabilities": sorted(c.value for c in Capability if user.can(c)),
        "csrf_token": csrf_token(request),
    }
