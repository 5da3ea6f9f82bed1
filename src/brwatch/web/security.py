"""Who may do what: sessions, the access dependency every route declares, CSRF, login limits.

Every route names exactly one `Access` dependency (`Access(Capability.DECIDE)` or `PUBLIC`), so
the role a route needs is stated in one place and a test can list them all. The same dependency
refuses text that cannot be stored (NUL, unpaired surrogates) in any field, and checks the CSRF
token on every state-changing request, so no form or API write can skip either.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from brwatch.accounts import Capability, check_session, open_session, revoke_session, role_can
from brwatch.storage import Database
from brwatch.storage.models import LoginFailure, User
from brwatch.web.errors import NotLoggedIn, WebError
from brwatch.web.i18n import N_
from brwatch.web.limits import read_form

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
    if sent is None and _is_form(request):
        value = (await read_form(request)).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise WebError(
            403,
            "csrf_failed",
            N_(
                "This form has expired or did not come from this site. Reload the page and try again."  # noqa: E501
            ),
        )


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )


# Text no database column can hold: a NUL byte (PostgreSQL refuses it) and an unpaired UTF-16
# surrogate, which only a JSON "\\ud800" escape can produce (no encoder accepts it).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _strings(value: object, name: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (keys too), each with where it is."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield name, str(key)
            yield from _strings(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{name}[{index}]")


async def _text_inputs(request: Request) -> list[tuple[str, str]]:
    """Every text value of the request: path and query parameters, form fields (and upload
    file names), JSON strings."""
    found = [(name, str(value)) for name, value in request.path_params.items()]
    found += [(f"{name}={value}", value) for name, value in request.query_params.multi_items()]
    if request.method in SAFE_METHODS:
        return found
    if _is_form(request):
        for name, value in (await read_form(request)).multi_items():
            found.append((name, value if isinstance(value, str) else value.filename or ""))
    elif "json" in request.headers.get("content-type", ""):
        body = await request.body()
        with suppress(ValueError):  # not JSON: FastAPI's own validation answers that
            found += list(_strings(json.loads(body), ""))
    return found


async def check_text_input(request: Request) -> None:
    """Refuse text that cannot be stored, before any query sees it, naming the field."""
    for name, value in await _text_inputs(request):
        if _UNSTORABLE.search(value) or _UNSTORABLE.search(name):
            raise WebError(
                400,
                "bad_characters",
                N_(
                    "The field %(field)s contains a character that cannot be stored (a NUL byte or an unpaired surrogate)."  # noqa: E501
                ),
                field=_UNSTORABLE.sub("\ufffd", name.split("=", 1)[0])[:100] or "?",
            )


def start_session(request: Request, user: User) -> None:
    """A new login: recorded server-side (so it can be ended) and carried in the cookie."""
    lifetime = timedelta(seconds=request.app.state.settings.session_max_age)
    with request.app.state.db.session() as db_session:
        token = open_session(db_session, user, lifetime)
    request.session.clear()
    request.session.update(
        {"sid": token, "csrf": secrets.token_urlsafe(32), "seen": int(time.time())}
    )


def end_session(request: Request) -> None:
    with request.app.state.db.session() as db_session:
        revoke_session(db_session, request.session.get("sid"), "logout")
    request.session.clear()


_SESSION_PROBLEMS = {
    "expired": ("session_expired", N_("Your session has expired. Please log in again.")),
    "revoked": (
        "session_ended",
        N_(
            "Your session is no longer valid (logged out, password or role changed, or account disabled). Please log in again."  # noqa: E501
        ),
    ),
    "disabled": ("session_ended", N_("This account is disabled.")),
}


def _load_user(request: Request) -> SignedInUser:
    session = request.session
    if not session.get("sid"):
        raise NotLoggedIn()
    settings = request.app.state.settings
    now = int(time.time())
    if now - int(session.get("seen", 0)) > settings.session_idle_timeout:
        session.clear()
        raise NotLoggedIn(*_SESSION_PROBLEMS["expired"])
    with request.app.state.db.session() as db_session:
        check = check_session(db_session, session.get("sid"))
        user = check.user
        if user is None:
            session.clear()
            raise NotLoggedIn(*_SESSION_PROBLEMS.get(check.problem or "", ("login_required",)))
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
        await check_text_input(request)
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
    def normalised(name: str) -> str:
        """The name as logins compare it (accounts.authenticate strips it), case-folded too:
        " tina" and "TINA" count against the same allowance as "tina"."""
        return unicodedata.normalize("NFKC", name).strip().casefold()

    @classmethod
    def _keys(cls, name: str, client: str) -> tuple[str, str]:
        return f"u:{cls.normalised(name)}|{client}"[:300], f"c:{client}"[:300]

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
