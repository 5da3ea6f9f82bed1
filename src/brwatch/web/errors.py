"""One error handler for the whole app: an HTML page for browsers, JSON for the API.

Every expected failure (no login, wrong role, bad CSRF token, missing item, decision conflict,
bad input) is a `WebError` with a clear message; a `BrwatchError` from the packages below that
no route translated is answered 400 with its message; anything else is logged and answered with
a plain 500 page that leaks nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from brwatch.errors import BrwatchError
from brwatch.web.i18n import N_
from brwatch.web.templating import render

log = logging.getLogger(__name__)


class WebError(Exception):
    """An expected failure with an HTTP status, a stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def text(self) -> str:
        """The message in English with its values filled in (the JSON answer)."""
        try:
            return self.message % self.extra if "%(" in self.message else self.message
        except (KeyError, TypeError, ValueError):
            return self.message


class NotLoggedIn(WebError):
    """No valid session; ``code`` (login_required, session_expired, session_ended) tells the
    login page what to say."""

    def __init__(self, code: str = "login_required", message: str = N_("Please log in.")) -> None:
        super().__init__(401, code, message)


def wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


# Pages a form is posted from; after logging in again the browser goes back to the page.
_FORM_PAGES = re.compile(r"/(items/\d+|grants/\d+|grants|queue|users|reuse-check)")


def _page_to_return_to(request: Request) -> str:
    path = request.url.path
    if request.method == "GET":
        return path + (f"?{request.url.query}" if request.url.query else "")
    for candidate in (path, path.rsplit("/", 1)[0]):
        if _FORM_PAGES.fullmatch(candidate):
            return candidate
    return "/queue"


def error_response(request: Request, error: WebError) -> Response:
    if wants_json(request):
        body = {"error": error.code, "message": error.text, **error.extra}
        headers = (
            {"Retry-After": str(error.extra["retry_after"])}
            if "retry_after" in error.extra
            else None
        )
        return JSONResponse(body, status_code=error.status, headers=headers)
    if isinstance(error, NotLoggedIn):
        nxt = quote(_page_to_return_to(request), safe="")
        return RedirectResponse(f"/login?next={nxt}&reason={error.code}", status_code=303)
    return render(request, "error.html", {"error": error}, status_code=error.status)


async def _web_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebError)
    return error_response(request, exc)


async def _brwatch_error(request: Request, exc: Exception) -> Response:
    # An expected failure from a package below the web layer (a bad grant, a draft that cannot
    # be read) that a route did not turn into its own WebError: the user's input, so 400.
    message = N_("The request could not be carried out.")
    return error_response(request, WebError(400, "bad_input", message, problems=[str(exc)]))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, WebError):
        # FastAPI reports any failure to read a body as 400; ours (too large) says more.
        return error_response(request, exc.__cause__)
    messages = {
        400: N_("The form could not be read."),
        404: N_("There is no such page."),
        405: N_("That action is not allowed here."),
        413: N_("The request is too large."),
    }
    message = messages.get(exc.status_code) or str(exc.detail)
    extra = {"problems": [str(exc.detail)]} if exc.status_code == 400 else {}
    return error_response(
        request, WebError(exc.status_code, f"http_{exc.status_code}", message, **extra)
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'}: {err.get('msg')}"
        for err in exc.errors()
    ]
    return error_response(
        request,
        WebError(400, "bad_request", N_("The request is not valid."), problems=problems),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        request, WebError(500, "internal", N_("Something went wrong on our side; it was logged."))
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WebError, _web_error)
    app.add_exception_handler(BrwatchError, _brwatch_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
