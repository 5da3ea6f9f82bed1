"""The app factory: `create_app(db)` wires settings, sessions, security headers, pages and API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brwatch import __version__
from brwatch.metrics import build_registry, metrics_endpoint, metrics_token
from brwatch.storage import Database
from brwatch.web.errors import install_error_handlers
from brwatch.web.limits import BodyLimit
from brwatch.web.routes import ROUTERS
from brwatch.web.security import LoginThrottle
from brwatch.web.settings import WebSettings
from brwatch.web.templating import build_environment

STATIC_DIR = Path(__file__).parent / "static"
# Our own pages load only our own scripts and styles; crawled snapshots are shown in a sandboxed
# srcdoc iframe, which inherits this policy on top of its own `default-src 'none'`.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Opening an original article must not tell its site which review item linked to it.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class SecureCookiesOverHttps:
    """Marks cookies Secure on requests that came over https (directly or via --proxy-headers).

    Outermost, so it also sees the session cookie the session middleware sets.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, value + b"; secure")
                    if name.lower() == b"set-cookie" and b"secure" not in value.lower()
                    else (name, value)
                    for name, value in message["headers"]
                ]
            await send(message)

        await self.app(scope, receive, send_secure)


def create_app(
    db: Database, settings: WebSettings | None = None, *, sources_path: str | None = None
) -> FastAPI:
    """The app; ``sources_path`` (default: $BRWATCH_SOURCES or the bundled file) gives /metrics
    the sources' schedule periods."""
    settings = settings or WebSettings.from_environment()
    app = FastAPI(
        title="brwatch review",
        version=__version__,
        description="Review queue, decisions, permission grants and reports for brwatch. "
        "Log in at /login; API writes need the session's CSRF token in the X-CSRF-Token header.",
        # The description is served behind login by routes/auth.py; no CDN-hosted docs UI.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.templates = build_environment()
    app.state.login_throttle = LoginThrottle(
        db,
        settings.login_max_failures,
        settings.login_max_failures_per_client,
        settings.login_window_seconds,
    )
    install_error_handlers(app)
    # Innermost: it answers with the app's own error page, which needs the session and headers.
    app.add_middleware(BodyLimit)
    app.middleware("http")(_security_headers)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="brwatch_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecureCookiesOverHttps)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    # Its own access rule (bearer token or loopback, brwatch.metrics.endpoint), not a role.
    metrics = metrics_endpoint(build_registry(db, sources_path), metrics_token())
    app.add_route("/metrics", metrics, include_in_schema=False)
    return app
