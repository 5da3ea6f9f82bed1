"""`brwatch users`: add, list, change the password of, and disable review app accounts."""

from __future__ import annotations

import argparse
import getpass
import sys

from rich.markup import escape
from rich.table import Table

from brwatch.accounts import (
    ROLES,
    create_user,
    disable_user,
    list_users,
    set_password,
)
from brwatch.cli._common import CommandError, console, database, print_json_line


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("users", help="manage accounts of the review web app")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="create an account (password from stdin when it is not a terminal)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--locale", choices=("en", "zh_CN"), default="en", help="interface language")
    listing = actions.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true", help="one JSON object per account")
    passwd = actions.add_parser(
        "passwd", help="set a new password (from stdin when it is not a terminal)"
    )
    passwd.add_argument("name")
    disable = actions.add_parser("disable", help="disable an account (its sessions stop working)")
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="enable it again instead")
    parser.set_defaults(handler=run)


def read_password() -> str:
    """From the terminal (asked twice) or, when piped, the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise CommandError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    db = database(args)
    try:
        with db.session() as session:
            if args.users_action == "add":
                user = create_user(session, args.name, args.role, read_password(), args.locale)
                console.print(f"added {escape(user.name)} ({user.role})")
            elif args.users_action == "passwd":
                set_password(session, args.name, read_password())
                console.print(f"password changed for {escape(args.name)}")
            elif args.users_action == "disable":
                user = disable_user(session, args.name, not args.enable)
                console.print(f"{escape(user.name)} {'disabled' if user.disabled else 'enabled'}")
            else:
                _print_users(list_users(session), args.json)
    finally:
        db.dispose()
    return 0


def _print_users(users: list, as_json: bool) -> None:
    if as_json:
        for user in users:
            print_json_line(
                {
                    "name": user.name,
                    "role": user.role,
                    "disabled": user.disabled,
                    "locale": user.locale,
                    "created_at": user.created_at.isoformat(),
                }
            )
        return
    table = Table("name", "role", "state", "language", "created")
    for user in users:
        table.add_row(
            escape(user.name),
            user.role,
            "disabled" if user.disabled else "active",
            user.locale,
            user.created_at.strftime("%Y-%m-%d"),
        )
    console.print(table)
