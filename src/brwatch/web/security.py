"""Who may do what: sessions, the access dependency every route declares, CSRF, login limits.

Every route names exactly one `Access` dependency (`Access(Capability.DECIDE)` or `PUBLIC`), so
the role a route needs is stated in one place and a test can list them all. The same dependency
checks the CSRF token on every state-changing request, so no form or API write can skip it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from brwatch.accounts import Capability, role_can, session_stamp
from brwatch.storage import Database
from brwatch.storage.models import LoginFailure, User
from brwatch.web.errors import NotLoggedIn, WebError
from brwatch.web.i18n import N_

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class SignedInUser:
    """The logged-in user as the request sees it (detached from any database session)."""

    id: int
    name: str
    role: str
    locale: str

    def can(self, capability: Capability | str) -> bool:
        return role_can(self.role, Capability(capability))


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use (anonymous sessions too: the login form)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise WebError(
            403,
            "csrf_failed",
            N_(
                "This form has expired or did not come from this site. Reload the page and try again."  # noqa: E501
            ),
        )


def start_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update(
        {
            "uid": user.id,
            "stamp": session_stamp(user),
            "csrf": secrets.token_urlsafe(32),
            "seen": int(time.time()),
        }
    )


def _load_user(request: Request) -> SignedInUser:
    session = request.session
    uid = session.get("uid")
    if uid is None:
        raise NotLoggedIn()
    settings = request.app.state.settings
    now = int(time.time())
    if now - int(session.get("seen", 0)) > settings.session_idle_timeout:
        session.clear()
        raise NotLoggedIn(N_("Your session has expired. Please log in again."))
    with request.app.state.db.session() as db_session:
        user = db_session.get(User, uid)
        if user is None or user.disabled or session.get("stamp") != session_stamp(user):
            session.clear()
            raise NotLoggedIn(N_("Your session is no longer valid. Please log in again."))
        signed_in = SignedInUser(user.id, user.name, user.role, user.locale)
    # Refresh the idle clock at most once a minute, so most responses do not re-send the cookie.
    if now - int(session.get("seen", 0)) > 60:
        session["seen"] = now
    return signed_in


class Access:
    """The access rule of one route: a capability it needs, or public (login page, health check)."""

    def __init__(self, capability: Capability | None, *, signed_in: bool | None = None) -> None:
        self.capability = capability
        self.signed_in = capability is not None if signed_in is None else signed_in

    def __repr__(self) -> str:
        if self.capability:
            return f"Access({self.capability.value})"
        return "SIGNED_IN" if self.signed_in else "PUBLIC"

    async def __call__(self, request: Request) -> SignedInUser | None:
        user: SignedInUser | None = None
        if self.signed_in:
            user = await run_in_threadpool(_load_user, request)
            request.state.user = user
        if request.method not in SAFE_METHODS:
            await check_csrf(request)
        if user is not None and self.capability is not None and not user.can(self.capability):
            raise WebError(403, "forbidden", N_("Your role does not allow this."))
        return user


PUBLIC = Access(None)
# Any logged-in user, whatever the role (logging out, choosing a language).
SIGNED_IN = Access(None, signed_in=True)


class LoginThrottle:
    """Counts failed logins per (name, client) and per client in a sliding window.

    The failures are rows in the database, so every web process serving it (several workers,
    several hosts) counts the same attempts; old rows are pruned as new ones arrive. Blocking
    calls: async routes run them in the thread pool.
    """

    def __init__(self, db: Database, max_failures: int, max_per_client: int, window: int) -> None:
        self.db = db
        self.max_failures = max_failures
        self.max_per_client = max_per_client
        self.window = timedelta(seconds=window)

    @staticmethod
    def _keys(name: str, client: str) -> tuple[str, str]:
        return f"u:{name.lower()}|{client}"[:300], f"c:{client}"[:300]

    def retry_after(self, name: str, client: str) -> int:
        """Seconds until another attempt is allowed, 0 when it is allowed now."""
        now = datetime.now(UTC)
        waits = []
        with self.db.session() as session:
            for key, limit in zip(
                self._keys(name, client), (self.max_failures, self.max_per_client), strict=True
            ):
                count, oldest = session.execute(
                    select(func.count(), func.min(LoginFailure.at)).where(
                        LoginFailure.key == key, LoginFailure.at > now - self.window
                    )
                ).one()
                if count >= limit:
                    waits.append(int((oldest + self.window - now).total_seconds()) + 1)
        return max(waits, default=0)

    def failed(self, name: str, client: str) -> None:
        now = datetime.now(UTC)
        with self.db.session() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
            session.add_all(LoginFailure(key=key, at=now) for key in self._keys(name, client))

    def succeeded(self, name: str, client: str) -> None:
        with self.db.session() as session:
            session.execute(
                delete(LoginFailure).where(LoginFailure.key == self._keys(name, client)[0])
            )
