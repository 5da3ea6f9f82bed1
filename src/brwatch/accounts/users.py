"""Creating, checking and changing accounts. Passwords are stored only as argon2 hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.accounts.roles import ROLES
from brwatch.accounts.sessions import revoke_user_sessions
from brwatch.errors import BrwatchError
from brwatch.storage.models import User

LOCALES = ("en", "zh_CN")
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(BrwatchError, ValueError):
    """A refused account change; the message says which account and why."""


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AccountError(f"user name {name!r} must be 1-100 characters without spaces")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise AccountError(f"language {locale!r} is not one of {', '.join(LOCALES)}")
    return locale


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"no user named {name!r}")
    return user


def create_user(session: Session, name: str, role: str, password: str, locale: str = "en") -> User:
    name = _check_name(name)
    _check_role(role)
    _check_password(password)
    _check_locale(locale)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hasher.hash(password), locale=locale)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_password(session: Session, name: str, password: str) -> User:
    """A new password; every open session of the account ends (whoever knew the old one)."""
    user = get_user(session, name)
    user.password_hash = _hasher.hash(_check_password(password))
    revoke_user_sessions(session, user.id, "password")
    return user


def set_role(session: Session, name: str, role: str) -> User:
    """A new role; open sessions end, so no page keeps acting with the old role's rights."""
    user = get_user(session, name)
    if user.role != _check_role(role):
        user.role = role
        revoke_user_sessions(session, user.id, "role")
    return user


def set_locale(session: Session, name: str, locale: str) -> User:
    user = get_user(session, name)
    user.locale = _check_locale(locale)
    return user


def disable_user(session: Session, name: str, disabled: bool = True) -> User:
    """Disable (or enable) an account; disabling ends its open sessions at once."""
    user = get_user(session, name)
    user.disabled = disabled
    if disabled:
        revoke_user_sessions(session, user.id, "disabled")
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The enabled user with this name and password, or None (same cost either way)."""
    user = session.scalar(select(User).where(User.name == name.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user
