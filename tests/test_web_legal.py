"""Legal's pages: grants (audited create, edit, revoke), the reuse-check form, the reports page."""

from __future__ import annotations

import json

from fastapi import FastAPI

from brwatch.storage import Database
from tests.web_data import (
    csrf_from,
    login,
    make_client,
    web_fixture,  # noqa: F401  (the `web` fixture)
)

World = tuple[FastAPI, Database, dict[str, int]]


def test_grant_create_edit_revoke_is_audited(web: World) -> None:
    client = make_client(web[0])
    token = login(client, "lena")
    fields = {
        "publisher": "Kazinform",
        "scope": "article",
        "article_url": "https://www.inform.kz/a/1",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "reference": "letter 17",
    }
    created = client.post("/grants", data={"csrf_token": token, **fields})
    assert created.status_code == 200 and "Grant " in created.text
    grant_id = int(created.url.path.rsplit("/", 1)[1])
    edited = client.post(
        f"/grants/{grant_id}",
        data={
            "csrf_token": token,
            "publisher": "Kazinform",
            "scope": "all",
            "reference": "letter 18",
        },
    )
    assert edited.status_code == 200
    revoked = client.post(f"/grants/{grant_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 200
    detail = client.get(f"/api/grants/{grant_id}").json()
    assert detail["scope"] == "all" and detail["reference"] == "letter 18"
    assert detail["revoked_by"] == "lena"
    assert [e["action"] for e in detail["audit"]] == ["revoke", "edit", "add"]
    edit_event = detail["audit"][1]
    assert edit_event["before"]["scope"] == "article" and edit_event["after"]["scope"] == "all"
    # A revoked grant stays revoked: no edit, no second revocation, each said clearly.
    again = client.post(f"/grants/{grant_id}/revoke", data={"csrf_token": token})
    assert again.status_code == 400 and "already revoked" in again.text
    locked = client.post(
        f"/grants/{grant_id}", data={"csrf_token": token, "publisher": "X", "scope": "all"}
    )
    assert locked.status_code == 400 and "cannot be edited" in locked.text


def test_bad_grants_are_refused_with_the_reason(web: World) -> None:
    client = make_client(web[0])
    token = login(client, "lena")
    cases = [
        ({"publisher": "", "scope": "all"}, "needs the publisher"),
        ({"publisher": "X", "scope": "article"}, "needs that article"),
        (
            {"publisher": "X", "valid_from": "2026-05-01", "valid_to": "2026-04-01"},
            "cannot end before",
        ),
        (
            {"publisher": "X", "scope": "article", "article_url": "javascript:x()"},
            "must start with http",
        ),
    ]
    for data, reason in cases:
        response = client.post("/grants", data={"csrf_token": token, **data})
        assert response.status_code == 400, data
        assert reason in response.text
    api = client.post(
        "/api/grants",
        json={"publisher": "X", "scope": "sometimes"},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 400
    assert client.get("/api/grants").json()[0]["publisher"] == "Example News"  # only the fixture's


def test_reuse_check_form_shows_the_gate_answer_and_reasons(web: World) -> None:
    client = make_client(web[0])
    login(client, "edith")
    page = client.get("/reuse-check?article=https://news.example/1").text
    token = csrf_from(page)
    answer = client.post(
        "/reuse-check",
        data={
            "csrf_token": token,
            "article_url": "https://news.example/1",
            "draft": "Our own take on the forum.",
        },
    )
    assert answer.status_code == 200
    assert "No, not as it is." in answer.text
    assert 'data-reason="' in answer.text
    upload = client.post(
        "/reuse-check",
        data={"csrf_token": token, "article_url": "https://news.example/1"},
        files={"draft_file": ("draft.md", b"# Title\n\nText.", "text/markdown")},
    )
    assert upload.status_code == 200 and "No, not as it is." in upload.text
    empty = client.post(
        "/reuse-check", data={"csrf_token": token, "article_url": "https://news.example/1"}
    )
    assert empty.status_code == 400 and "Paste the draft" in empty.text


def test_reports_page_shows_and_downloads_every_format(web: World) -> None:
    client = make_client(web[0])
    login(client, "lena")
    page = client.get("/reports?since=2026-10-01&until=2026-11-30").text
    assert 'src="/reports/view?since=2026-10-01&amp;until=2026-11-30"' in page
    view = client.get("/reports/view?since=2026-10-01&until=2026-11-30")
    assert view.status_code == 200 and "<html" in view.text.lower()
    assert "frame-ancestors 'self'" in view.headers["content-security-policy"]
    kinds = {
        "html": "text/html",
        "pdf": "application/pdf",
        "csv": "text/csv",
        "json": "application/json",
    }
    for fmt, kind in kinds.items():
        response = client.get(
            f"/reports/download?format={fmt}&since=2026-10-01&until=2026-11-30&source=example"
        )
        assert response.status_code == 200, (fmt, response.text[:200])
        assert response.headers["content-type"].startswith(kind)
        assert f'.{fmt}"' in response.headers["content-disposition"]
    report = json.loads(
        client.get("/reports/download?format=json&since=2026-10-01&until=2026-11-30").content
    )
    assert report["period"]["since"].startswith("2026-10-01")
    bad = client.get("/reports/download?format=json&since=2026-12-01&until=2026-11-01")
    assert bad.status_code == 400
    unknown = client.get("/reports/download?format=csv&source=nowhere")
    assert unknown.status_code == 400 and "nowhere" in unknown.text


def test_admin_manages_accounts_and_the_changes_are_listed(web: World) -> None:
    app = web[0]
    admin = make_client(app)
    token = login(admin, "adam")
    added = admin.post(
        "/users",
        data={"csrf_token": token, "name": "wen", "role": "legal", "password": "a long password"},
    )
    assert added.status_code == 200 and "Account wen updated." in added.text
    newcomer = make_client(app)
    login(newcomer, "wen", "a long password")
    assert newcomer.get("/reports").status_code == 200
    demoted = admin.post("/users/wen/role", data={"csrf_token": token, "role": "editor"})
    assert "create wen (legal)" in demoted.text and "role wen (editor)" in demoted.text
    # One list of changes, in the page body only: never inside <title> or an attribute.
    assert demoted.text.count("data-audit") == 2
    assert '<body data-page="users">' in demoted.text
    assert "<title>Users · brwatch</title>" in demoted.text
    assert newcomer.get("/api/me").status_code == 401  # a role change ends the old session
    own = admin.post("/users/adam/disable", data={"csrf_token": token, "disabled": "true"})
    assert own.status_code == 400 and "your own account" in own.text
    weak = admin.post(
        "/users", data={"csrf_token": token, "name": "x", "role": "editor", "password": "short"}
    )
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
