"""Sessions, CSRF, login throttling, headers: each bad request gets a clear answer, never a 500."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from brwatch.accounts import disable_user, set_password
from brwatch.storage import Database
from brwatch.storage.models import LoginFailure
from brwatch.web import WebSettings, create_app, security
from brwatch.web.security import LoginThrottle
from tests.web_data import PASSWORD, csrf_from, login, make_client, web_fixture  # noqa: F401

World = tuple[FastAPI, Database, dict[str, int]]


def test_login_sets_a_httponly_samesite_cookie_and_rotates_the_session(web: World) -> None:
    app, _, _ = web
    client = make_client(app)
    anonymous_token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": "edith", "password": PASSWORD, "csrf_token": anonymous_token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/api/me").json()["csrf_token"] != anonymous_token


def test_secure_cookie_setting(sqlite_db: Database) -> None:
    from tests.web_data import add_users

    add_users(sqlite_db)
    app = create_app(sqlite_db, WebSettings(secret_key="k", secure_cookies=True))
    client = make_client(app)
    response = client.get("/login")
    assert "secure" in response.headers["set-cookie"].lower()


def test_cookie_is_secure_when_served_over_https(web: World) -> None:
    client = TestClient(web[0], base_url="https://testserver")
    assert "secure" in client.get("/login").headers["set-cookie"].lower()


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(web: World) -> None:
    client = make_client(web[0])
    token = csrf_from(client.get("/login").text)
    for name in ("edith", "nobody"):
        response = client.post(
            "/login", data={"name": name, "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong user name or password." in response.text
    assert client.get("/api/queue").status_code == 401


def test_login_is_rate_limited(web: World) -> None:
    client = make_client(web[0])
    token = csrf_from(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"name": "edith", "password": "bad guess", "csrf_token": token})
    # Even the right password is refused until the window passes.
    response = client.post(
        "/login", data={"name": "edith", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    api = client.post(
        "/login",
        data={"name": "edith", "password": PASSWORD, "csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert api.status_code == 429 and int(api.headers["retry-after"]) > 0


def test_login_limit_per_client_covers_many_user_names(sqlite_db: Database) -> None:
    from tests.web_data import add_users

    add_users(sqlite_db)
    app = create_app(sqlite_db, WebSettings(secret_key="k", login_max_failures_per_client=3))
    client = make_client(app)
    token = csrf_from(client.get("/login").text)
    for name in ("a1", "a2", "a3"):
        client.post("/login", data={"name": name, "password": "guess", "csrf_token": token})
    response = client.post(
        "/login", data={"name": "edith", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429


def _attempt(client: TestClient, password: str) -> int:
    token = csrf_from(client.get("/login").text)
    data = {"name": "edith", "password": password, "csrf_token": token}
    return client.post("/login", data=data, follow_redirects=False).status_code


def test_two_web_processes_on_one_database_count_the_same_failures(db: Database) -> None:
    from tests.web_data import add_users

    add_users(db)
    settings = WebSettings(secret_key="k", login_max_failures=4)
    first, second = (make_client(create_app(db, settings)) for _ in range(2))
    # Three failures, spread over both; a success in one clears the name's count in both.
    assert [_attempt(c, "guess") for c in (first, second, first)] == [401, 401, 401]
    assert _attempt(second, PASSWORD) == 303
    assert [_attempt(c, "guess") for c in (first, second, first, second)] == [401] * 4
    assert _attempt(first, PASSWORD) == 429  # two failures in each, four in all
    with db.session() as session:
        keys = set(session.scalars(select(LoginFailure.key)))
    assert keys == {"u:edith|testclient", "c:testclient"}


def test_old_failures_leave_the_window_and_the_table(db: Database) -> None:
    throttle = LoginThrottle(db, max_failures=2, max_per_client=10, window=60)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    with db.session() as session:
        session.add_all(LoginFailure(key="u:edith|1.2.3.4", at=long_ago) for _ in range(5))
    assert throttle.retry_after("Edith", "1.2.3.4") == 0  # outside the window
    throttle.failed("edith", "1.2.3.4")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 2  # pruned
    throttle.failed("edith", "1.2.3.4")
    assert 55 <= throttle.retry_after("EDITH", "1.2.3.4") <= 61
    assert throttle.retry_after("edith", "5.6.7.8") == 0  # another client


def test_missing_and_forged_csrf_tokens_are_refused_clearly(web: World) -> None:
    app, _db, ids = web
    client = make_client(app)
    login(client, "edith")
    item = f"/items/{ids['prohibited']}/decide"
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(item, data={"state": "cleared", "version": "1", **data})
        assert response.status_code == 403
        assert "did not come from this site" in response.text
    api = client.post(f"/api/items/{ids['prohibited']}/decision", json={"state": "cleared"})
    assert api.status_code == 403 and api.json()["error"] == "csrf_failed"
    # Nothing was decided.
    assert client.get(f"/api/items/{ids['prohibited']}").json()["review"]["state"] == "pending"
    # The login form needs the token as well (no login CSRF).
    fresh = make_client(app)
    refused = fresh.post("/login", data={"name": "edith", "password": PASSWORD})
    assert refused.status_code == 403


def test_a_session_from_another_key_or_a_tampered_cookie_is_just_logged_out(web: World) -> None:
    app, db, _ = web
    client = make_client(app)
    login(client, "edith")
    other = create_app(db, WebSettings(secret_key="another key"))
    stale = make_client(other)
    stale.cookies.update(client.cookies)
    response = stale.get("/queue")
    assert response.status_code == 200 and response.url.path == "/login"
    client.cookies.set("brwatch_session", "garbage")
    assert client.get("/api/queue").status_code == 401


def test_password_change_and_disabling_end_existing_sessions(web: World) -> None:
    app, db, _ = web
    editor, legal = make_client(app), make_client(app)
    login(editor, "edith")
    login(legal, "lena")
    with db.session() as session:
        set_password(session, "edith", "a brand new password")
        disable_user(session, "lena")
    for client in (editor, legal):
        response = client.get("/api/queue")
        assert response.status_code == 401
        assert "no longer valid" in response.json()["message"]
    page = editor.get("/queue")
    assert page.url.path == "/login"


def test_idle_sessions_expire(web: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(web[0])
    login(client, "edith")
    later = time.time() + WebSettings().session_idle_timeout + 60
    monkeypatch.setattr(security.time, "time", lambda: later)
    response = client.get("/api/queue")
    assert response.status_code == 401 and "expired" in response.json()["message"]


def test_login_redirect_only_goes_to_local_paths(web: World) -> None:
    client = make_client(web[0])
    token = csrf_from(client.get("/login?next=//evil.example/x").text)
    response = client.post(
        "/login",
        data={
            "name": "edith",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/queue"


def test_security_headers_on_every_page(web: World) -> None:
    client = make_client(web[0])
    response = client.get("/login")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_bad_input_gets_clear_answers_not_500(web: World) -> None:
    app, _, ids = web
    client = make_client(app)
    token = login(client, "edith")
    assert client.get("/items/999999").status_code == 404
    assert "does not exist" in client.get("/items/999999").text
    missing = client.get("/api/items/999999").json()
    assert missing == {
        "error": "not_found",
        "message": "Item 999999 does not exist (it may have been removed).",
        "id": 999999,
    }
    assert client.get("/items/not-a-number").status_code == 400
    bad_filter = client.get("/api/queue?status=bogus&page=0")
    assert bad_filter.status_code == 400 and bad_filter.json()["error"] == "bad_request"
    assert client.get("/queue?since=yesterday").status_code == 400
    decision = client.post(
        f"/api/items/{ids['prohibited']}/decision",
        json={"state": "maybe"},
        headers={"X-CSRF-Token": token},
    )
    assert decision.status_code == 400
    gone = client.post(
        "/api/items/424242/decision", json={"state": "cleared"}, headers={"X-CSRF-Token": token}
    )
    assert gone.status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page(web: World) -> None:
    app, _, ids = web
    client = make_client(app)
    login(client, "edith")
    page = client.get(f"/items/{ids['prohibited']}").text
    client.cookies.clear()
    response = client.post(
        f"/items/{ids['prohibited']}/decide",
        data={"state": "cleared", "version": "1", "csrf_token": csrf_from(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/login?next=%2Fitems%2F{ids['prohibited']}&")
    bulk = client.post("/queue/bulk", data={"state": "cleared"}, follow_redirects=False)
    assert bulk.headers["location"].startswith("/login?next=%2Fqueue&")
