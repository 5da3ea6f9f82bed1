"""User accounts: argon2 password hashes, roles, and what each role may do."""

from brwatch.accounts.roles import CAPABILITIES, ROLES, Capability, role_can
from brwatch.accounts.sessions import (
    SessionCheck,
    check_session,
    open_session,
    revoke_session,
    revoke_user_sessions,
)
from brwatch.accounts.users import (
    AccountError,
    authenticate,
    create_user,
    disable_user,
    list_users,
    set_locale,
    set_password,
    set_role,
)

__all__ = [
    "CAPABILITIES",
    "ROLES",
    "AccountError",
    "Capability",
    "SessionCheck",
    "authenticate",
    "check_session",
    "create_user",
    "disable_user",
    "list_users",
    "open_session",
    "revoke_session",
    "revoke_user_sessions",
    "role_can",
    "set_locale",
    "set_password",
    "set_role",
]
