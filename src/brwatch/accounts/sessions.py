"""Review app logins kept server-side, so they can be ended before their cookie would expire.

A login gets a random token (carried in the signed session cookie); the database keeps only its
SHA-256, the user and when it ends: ``expires_at`` is fixed at login, so activity never extends
a session. Logging out ends one session; a password or role change and disabling an account end
all of that user's sessions, whether made in the web app or with ``brwatch users``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from brwatch.storage.models import User, WebSession

# Why a session ended (WebSession.revoked_reason).
REVOKE_REASONS = ("logout", "password", "role", "disabled")


@dataclass(frozen=True)
class SessionCheck:
    """What a token is worth now: the user, or why there is none."""

    user: User | None
    problem: str | None = None  # "unknown", "expired", "revoked", "disabled"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(session: Session, user: User, lifetime: timedelta) -> str:
    """Record a new login for ``user``, ending ``lifetime`` from now; returns its token."""
    now = datetime.now(UTC)
    # Ended sessions are kept only until they would have expired anyway.
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_sha256=_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return token


def check_session(session: Session, token: str | None) -> SessionCheck:
    if not token:
        return SessionCheck(None, "unknown")
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_sha256 == _digest(token))
    ).first()
    if found is None:
        return SessionCheck(None, "unknown")
    login, user = found
    if login.revoked_at is not None:
        return SessionCheck(None, "revoked")
    if datetime.now(UTC) >= login.expires_at:
        return SessionCheck(None, "expired")
    if user.disabled:
        return SessionCheck(None, "disabled")
    return SessionCheck(user)


def revoke_session(session: Session, token: str | None, reason: str = "logout") -> None:
    if token:
        session.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == _digest(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
        )


def revoke_user_sessions(session: Session, user_id: int, reason: str) -> int:
    """End every open session of a user; returns how many there were."""
    now = datetime.now(UTC)
    result = session.execute(
        update(WebSession)
        .where(
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
        )
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(cast("CursorResult[Any]", result).rowcount or 0)
