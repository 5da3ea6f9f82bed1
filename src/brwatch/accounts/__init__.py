"""User accounts: argon2 password hashes, roles, and what each role may do."""

from brwatch.accounts.roles import CAPABILITIES, ROLES, Capability, role_can
from brwatch.accounts.users import (
    AccountError,
    authenticate,
    create_user,
    disable_user,
    list_users,
    session_stamp,
    set_locale,
    set_password,
    set_role,
)

__all__ = [
    "CAPABILITIES",
    "ROLES",
    "AccountError",
    "Capability",
    "authenticate",
    "create_user",
    "disable_user",
    "list_users",
    "role_can",
    "session_stamp",
    "set_locale",
    "set_password",
    "set_role",
]
