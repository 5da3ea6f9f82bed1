"""`brwatch users`: accounts from the command line, passwords from stdin, clear refusals."""

from __future__ import annotations

import json

from brwatch.accounts import authenticate
from brwatch.storage import Database


def test_add_list_passwd_disable(brwatch, sqlite_db: Database) -> None:  # type: ignore[no-untyped-def]
    url = sqlite_db.url
    added = brwatch(
        "users",
        "add",
        "mei",
        "--role",
        "legal",
        "--locale",
        "zh_CN",
        db=url,
        input="first password\n",
    )
    assert added.returncode == 0, added
    assert "added mei (legal)" in added.stdout
    listed = brwatch("users", "list", "--json", db=url)
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["name"], row["role"], row["disabled"], row["locale"]) == (
        "mei",
        "legal",
        False,
        "zh_CN",
    )
    assert "password" not in listed.stdout and "argon2" not in listed.stdout
    changed = brwatch("users", "passwd", "mei", db=url, input="second password\n")
    assert changed.returncode == 0, changed
    with sqlite_db.session() as session:
        assert authenticate(session, "mei", "first password") is None
        user = authenticate(session, "mei", "second password")
        assert user is not None and user.password_hash.startswith("$argon2")
    disabled = brwatch("users", "disable", "mei", db=url)
    assert disabled.returncode == 0 and "mei disabled" in disabled.stdout
    with sqlite_db.session() as session:
        assert authenticate(session, "mei", "second password") is None


def test_refusals_are_clear(brwatch, sqlite_db: Database) -> None:  # type: ignore[no-untyped-def]
    url = sqlite_db.url
    short = brwatch("users", "add", "kai", "--role", "editor", db=url, input="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert (
        brwatch("users", "add", "kai", "--role", "editor", db=url, input="long enough\n").returncode
        == 0
    )
    again = brwatch("users", "add", "kai", "--role", "editor", db=url, input="long enough\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    ghost = brwatch("users", "disable", "ghost", db=url)
    assert ghost.returncode == 2 and "no user named 'ghost'" in ghost.stderr
    bad_role = brwatch("users", "add", "x", "--role", "root", db=url, input="long enough\n")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
