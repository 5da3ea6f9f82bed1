"""Every route × every role: who gets in, who is refused, and how (the access table)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from brwatch.evidence import init_key
from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.web import WebSettings, create_app
from brwatch.web.routes import ROUTERS
from brwatch.web.security import Access
from tests.web_data import add_grant, csrf_from, login, make_client, populate

World = tuple[FastAPI, Database, dict[str, int]]

ROLES = ["anonymous", "editor", "legal", "admin"]
WHO = {"editor": "edith", "legal": "lena", "admin": "adam"}


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # the route's path template, as the app declares it
    allowed: frozenset[str]  # roles that may use it ("anonymous" included for public routes)
    ok: int = 200  # the status a permitted request gets
    # The path to request: the route with {names} from the fixture's ids filled in;
    # {fresh_grant} is a grant made for this request (revoking needs an unrevoked one).
    path: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def _version(db: Database, article_id: int) -> int:
    with db.session() as session:
        return session.get(Article, article_id).review_version


ALL = frozenset({"anonymous", "editor", "legal", "admin"})
SIGNED_IN = frozenset({"editor", "legal", "admin"})
DECIDERS = frozenset({"editor", "legal"})  # also: who sees grants and runs the reuse check
LEGAL = frozenset({"legal"})
ADMIN = frozenset({"admin"})
DRAFT = {"article_url": "https://news.example/1", "draft": "Source: Example News"}
USER = {"name": "newbie", "role": "editor", "password": "a long password"}

# fmt: off
CASES = [
    Case("GET", "/healthz", ALL),
    Case("GET", "/login", ALL),
    Case("POST", "/login", ALL, 401, data={"name": "nobody", "password": "wrong password"}),
    Case("POST", "/logout", SIGNED_IN),
    Case("GET", "/", SIGNED_IN),
    Case("POST", "/account/language", SIGNED_IN, data={"locale": "en"}),
    Case("GET", "/account/notifications", SIGNED_IN),
    Case("POST", "/account/notifications", SIGNED_IN,
         data={"enabled": "true", "email": "someone@news.example", "flagged_items": "true"}),
    Case("GET", "/api/me", SIGNED_IN),
    Case("GET", "/api/openapi.json", SIGNED_IN),
    Case("GET", "/queue", SIGNED_IN),
    Case("GET", "/api/queue", SIGNED_IN),
    Case("POST", "/queue/bulk", DECIDERS, data={"state": "cleared", "items": ["{reprint}"]}),
    Case("GET", "/items/{article_id}", SIGNED_IN, path="/items/{prohibited}"),
    Case("POST", "/items/{article_id}/decide", DECIDERS, path="/items/{prohibited}/decide",
         data={"state": "do_not_reuse"}),
    Case("GET", "/api/items/{article_id}", SIGNED_IN, path="/api/items/{prohibited}"),
    Case("GET", "/items/{article_id}/evidence", LEGAL, path="/items/{prohibited}/evidence"),
    Case("POST", "/api/items/{article_id}/decision", DECIDERS,
         path="/api/items/{conflict}/decision", json={"state": "permission_requested"}),
    Case("GET", "/grants", DECIDERS),
    Case("POST", "/grants", LEGAL, data={"publisher": "Xinhua", "scope": "all"}),
    Case("GET", "/grants/{grant_id}", DECIDERS, path="/grants/{grant}"),
    Case("POST", "/grants/{grant_id}", LEGAL, path="/grants/{grant}",
         data={"publisher": "Example News", "scope": "all", "reference": "letter"}),
    Case("POST", "/grants/{grant_id}/revoke", LEGAL, path="/grants/{fresh_grant}/revoke"),
    Case("GET", "/api/grants", DECIDERS),
    Case("POST", "/api/grants", LEGAL, 201, json={"publisher": "CGTN", "scope": "all"}),
    Case("GET", "/api/grants/{grant_id}", DECIDERS, path="/api/grants/{grant}"),
    Case("PUT", "/api/grants/{grant_id}", LEGAL, path="/api/grants/{grant}",
         json={"publisher": "Example News", "scope": "all"}),
    Case("POST", "/api/grants/{grant_id}/revoke", LEGAL, path="/api/grants/{fresh_grant}/revoke"),
    Case("GET", "/reuse-check", DECIDERS),
    Case("POST", "/reuse-check", DECIDERS, data=DRAFT),
    Case("GET", "/reports", LEGAL),
    Case("GET", "/reports/view", LEGAL),
    Case("GET", "/reports/download", LEGAL, path="/reports/download?format=csv"),
    Case("GET", "/users", ADMIN),
    Case("POST", "/users", ADMIN, data=USER),
    Case("POST", "/users/{name}/role", ADMIN, path="/users/olga/role", data={"role": "legal"}),
    Case("POST", "/users/{name}/password", ADMIN, path="/users/olga/password",
         data={"password": "correct horse battery"}),
    # An unknown account: the admin gets 400 with the reason (see the test).
    Case("POST", "/users/{name}/disable", ADMIN, 400, path="/users/nobody-here/disable",
         data={"disabled": "false"}),
    Case("GET", "/api/users", ADMIN),
    Case("GET", "/status", ADMIN),
    Case("GET", "/api/status", ADMIN),
]
# fmt: on


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("access")
    db = Database(f"sqlite:///{folder / 'brwatch.db'}")
    ids = populate(db)
    init_key(folder / "signing-key.pem")
    settings = WebSettings(secret_key="access-table", signing_key=str(folder / "signing-key.pem"))
    yield create_app(db, settings), db, ids
    db.dispose()


@pytest.fixture(scope="module")
def clients(world: tuple[FastAPI, Database, dict[str, int]]) -> dict[str, tuple[TestClient, str]]:
    """One logged-in client per role, shared by the table (logging in is deliberately slow)."""
    app = world[0]
    return {role: _client(app, role) for role in ROLES}


def _client(app: FastAPI, role: str) -> tuple[TestClient, str]:
    client = make_client(app)
    if role == "anonymous":
        return client, csrf_from(client.get("/login").text)
    return client, login(client, WHO[role])


def _send(case: Case, client: TestClient, token: str, db: Database, ids: dict[str, int]) -> Any:
    template = case.path or case.route
    names = dict(ids)
    if "{fresh_grant}" in template:
        names["fresh_grant"] = add_grant(db, "Fresh Publisher")
    path = template.format(**names)
    data = dict(case.data)
    if "items" in data:  # checked rows carry the version they were listed with
        data["items"] = [f"{ids['reprint']}:{_version(db, ids['reprint'])}"]
    if case.route == "/items/{article_id}/decide":
        data["version"] = str(_version(db, ids["prohibited"]))
    if case.json is not None:
        return client.request(case.method, path, json=case.json, headers={"X-CSRF-Token": token})
    if case.method == "GET":
        return client.get(path)
    return client.request(case.method, path, data={**data, "csrf_token": token})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_access(
    world: World, clients: dict[str, tuple[TestClient, str]], case: Case, role: str
) -> None:
    app, db, ids = world
    # Logging out ends the session, so it gets a client of its own.
    client, token = _client(app, role) if case.route == "/logout" else clients[role]
    response = _send(case, client, token, db, ids)
    if role in case.allowed:
        assert response.status_code == case.ok, response.text[:500]
        if case.ok == 400:
            assert "nobody-here" in response.text
    elif role == "anonymous":
        if case.route.startswith("/api/"):
            assert response.status_code == 401
            assert response.json()["error"] == "login_required"
        else:  # pages send the browser to the login form, remembering where it wanted to go
            assert response.url.path == "/login"
    else:
        assert response.status_code == 403, response.text[:300]
        assert "role does not allow" in response.text


def test_every_route_is_in_the_table_with_one_access_rule() -> None:
    declared = {(c.method, c.route) for c in CASES}
    seen = set()
    for route in (route for router in ROUTERS for route in router.routes):
        assert isinstance(route, APIRoute), route
        rules = [d.call for d in route.dependant.dependencies if isinstance(d.call, Access)]
        assert len(rules) == 1, f"{route.path} must declare exactly one Access rule, has {rules}"
        for method in route.methods - {"HEAD"}:
            seen.add((method, route.path))
    assert seen == declared, f"not in the table: {seen - declared}; gone: {declared - seen}"


def test_static_files_are_the_only_unguarded_mount(world: World) -> None:
    client = make_client(world[0])
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 404
