"""Request body limits, per route, enforced before the body is read.

`BodyLimit` sits in front of every route: a request whose Content-Length is over its route's
limit is answered 413 at once, unread and unauthenticated, with the app's own (translated)
error page or JSON; a body sent without a length is counted as it arrives and refused as soon
as it passes the limit. Forms are parsed with `read_form`, whose per-field limit is the route's,
so a pasted draft gets the same answer as an uploaded one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brwatch.web.errors import WebError, error_response
from brwatch.web.i18n import N_

KB = 1024
MB = 1024 * KB
# Any form or JSON body of the app: notes, grant conditions, a page of checked queue rows.
DEFAULT_BODY_LIMIT = 256 * KB
# A draft for the reuse check, pasted or uploaded (the form around it needs a few kB more).
MAX_DRAFT_BYTES = 2 * MB
DRAFT_BODY_LIMIT = MAX_DRAFT_BYTES + 64 * KB
# (path pattern, limit): the first match wins, else DEFAULT_BODY_LIMIT.
ROUTE_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"/reuse-check"), DRAFT_BODY_LIMIT),
)
# Form fields per request (Starlette's default is 1,000).
MAX_FORM_FIELDS = 2000
_SCOPE_KEY = "brwatch.body_limit"


def body_limit(path: str) -> int:
    return next(
        (limit for pattern, limit in ROUTE_LIMITS if pattern.fullmatch(path)), DEFAULT_BODY_LIMIT
    )


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit // KB} kB"


class BodyTooLarge(WebError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "too_large",
            N_("The request is too large: %(limit)s at most here."),
            limit=_size(limit),
        )


@dataclass
class _Counter:
    limit: int
    received: int = 0


class BodyLimit:
    """Refuses request bodies over their route's limit without reading them (see module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        scope[_SCOPE_KEY] = limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        counter = _Counter(limit)

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                counter.received += len(message.get("body", b""))
                if counter.received > counter.limit:
                    raise BodyTooLarge(counter.limit)
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Routes answer it through the app's error handler; this catches a read elsewhere.
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(Request(scope, receive), BodyTooLarge(limit))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_form(request: Request) -> FormData:
    """The request's form, each field held to the route's body limit (parsed once per request)."""
    limit = request.scope.get(_SCOPE_KEY, DEFAULT_BODY_LIMIT)
    try:
        return await request.form(max_part_size=limit, max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:  # Starlette's English words for a form it cannot parse
        if "maximum size" in str(exc.detail):
            raise BodyTooLarge(limit) from exc
        raise WebError(
            400, "bad_form", N_("The form could not be read."), problems=[str(exc.detail)]
        ) from exc
