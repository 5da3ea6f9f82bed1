"""Who may do what: sessions, the access dependency every route declares, CSRF, login limits.

Every route names exactly one `Access` dependency (`Access(Capability.DECIDE)` or `PUBLIC`), so
the role a route needs is stated in one place and a test can list them all. The same dependency
checks the CSRF token on every state-changing request, so no form or API write can skip it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from brwatch.accounts import Capability, role_can, session_stamp
from brwatch.storage.models import User
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
    """Counts failed logins per (name, client) and per client in a sliding window, in memory.

    One process's memory is enough for `brwatch serve` (one worker); several workers each keep
    their own count, which still bounds guessing to a small multiple of the limit.
    """

    def __init__(self, max_failures: int, max_per_client: int, window: int) -> None:
        self.max_failures = max_failures
        self.max_per_client = max_per_client
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, name: str, client: str) -> int:
        """Seconds until another attempt is allowed, 0 when it is allowed now."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in (
                (f"u:{name.lower()}|{client}", self.max_failures),
                (f"c:{client}", self.max_per_client),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(int(times[0] + self.window - now) + 1)
            return max(waits, default=0)

    def failed(self, name: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{name.lower()}|{client}", f"c:{client}"):
                self._recent(key, now).append(now)

    def succeeded(self, name: str, client: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{name.lower()}|{client}", None)
