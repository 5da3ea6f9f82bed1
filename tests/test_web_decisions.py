"""Decisions on items: audited, optimistic locking, grants, bulk — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from brwatch.storage import Database
from brwatch.storage.models import Article, AuditEvent, Grant, utcnow
from brwatch.web import WebSettings, create_app
from tests.web_data import csrf_from, login, make_client, populate

World = tuple[FastAPI, Database, dict[str, int]]


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    yield create_app(db, WebSettings(secret_key="decisions")), db, populate(db)


def _decide_form(client: TestClient, article_id: int, page_html: str, **fields: str) -> object:
    version = page_html.split('name="version" value="')[1].split('"')[0]
    data = {"csrf_token": csrf_from(page_html), "version": version, **fields}
    return client.post(f"/items/{article_id}/decide", data=data)


def _events(db: Database, article_id: int) -> list[AuditEvent]:
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.entity_id == article_id).order_by(AuditEvent.id)
        return list(session.scalars(query.where(AuditEvent.entity == "article")))


def test_a_decision_is_recorded_and_audited_and_shown(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    login(client, "edith")
    item = ids["prohibited"]
    page = client.get(f"/items/{item}").text
    response = _decide_form(client, item, page, state="do_not_reuse", note="publisher refuses")
    assert response.status_code == 200
    shown = client.get(f"/items/{item}").text
    assert 'data-review-state="do_not_reuse"' in shown
    assert "publisher refuses" in shown and "edith" in shown
    [event] = _events(db, item)
    assert (event.user, event.action, event.note) == ("edith", "decide", "publisher refuses")
    assert event.before == {"state": "pending", "version": 1}
    assert event.after == {"state": "do_not_reuse", "version": 2}
    # A second decision appends; the first event stays as it was.
    page = client.get(f"/items/{item}").text
    _decide_form(client, item, page, state="permission_requested")
    first, second = _events(db, item)
    assert first.after == {"state": "do_not_reuse", "version": 2}
    assert second.before == {"state": "do_not_reuse", "version": 2}


def test_deciding_moves_on_to_the_next_pending_item(world: World) -> None:
    app = world[0]
    client = make_client(app)
    login(client, "edith")
    first = client.get("/api/queue").json()["items"][0]["id"]
    page = client.get(f"/items/{first}?review=pending").text
    response = _decide_form(client, first, page, state="cleared", advance="true")
    following = client.get("/api/queue").json()["items"][0]["id"]
    assert following != first
    assert response.url.path == f"/items/{following}"


def test_someone_else_deciding_first_is_a_conflict_and_nothing_is_lost(world: World) -> None:
    app, db, ids = world
    edith, olga = make_client(app), make_client(app)
    login(edith, "edith")
    login(olga, "olga")
    item = ids["permission"]
    edith_page = edith.get(f"/items/{item}").text
    olga_page = olga.get(f"/items/{item}").text
    _decide_form(olga, item, olga_page, state="cleared", note="fine by me")
    late = _decide_form(edith, item, edith_page, state="do_not_reuse", note="my careful reasoning")
    assert late.status_code == 409
    assert "Someone else decided on this item" in late.text
    assert "olga" in late.text
    assert "my careful reasoning" in late.text  # the note is still in the form
    assert 'value="do_not_reuse" required checked' in late.text
    [event] = _events(db, item)
    assert event.user == "olga"
    with db.session() as session:
        assert session.get(Article, item).review_state == "cleared"
    # Submitting again from the conflict page (it carries the new version) replaces it.
    again = _decide_form(edith, item, late.text, state="do_not_reuse", note="my careful reasoning")
    assert again.status_code == 200
    assert [e.user for e in _events(db, item)] == ["olga", "edith"]


def test_api_decisions_and_their_conflicts(world: World) -> None:
    app, _, ids = world
    client = make_client(app)
    token = login(client, "lena")
    item = ids["conflict"]
    url = f"/api/items/{item}/decision"
    headers = {"X-CSRF-Token": token}
    ok = client.post(url, json={"state": "permission_requested", "version": 1}, headers=headers)
    assert ok.json() == {"id": item, "review": {"state": "permission_requested", "version": 2}}
    stale = client.post(url, json={"state": "cleared", "version": 1}, headers=headers)
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "conflict"
    assert (body["current_state"], body["current_version"], body["by"]) == (
        "permission_requested",
        2,
        "lena",
    )
    audit = client.get(f"/api/items/{item}").json()["audit"]
    assert [e["after"]["state"] for e in audit] == ["permission_requested"]


def test_permission_granted_needs_a_current_grant(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "lena")
    item = ids["prohibited"]
    url = f"/api/items/{item}/decision"
    headers = {"X-CSRF-Token": token}
    missing = client.post(url, json={"state": "permission_granted"}, headers=headers)
    assert missing.status_code == 400 and missing.json()["error"] == "grant_required"
    with db.session() as session:
        revoked = Grant(publisher="Gone", scope="all", revoked_at=utcnow())
        session.add(revoked)
        session.flush()
        revoked_id = revoked.id
    refused = client.post(
        url, json={"state": "permission_granted", "grant_id": revoked_id}, headers=headers
    )
    assert refused.status_code == 400
    granted = client.post(
        url, json={"state": "permission_granted", "grant_id": ids["grant"]}, headers=headers
    )
    assert granted.status_code == 200
    detail = client.get(f"/api/items/{item}").json()
    assert detail["review"]["grant_id"] == ids["grant"]
    assert f'href="/grants/{ids["grant"]}"' in client.get(f"/items/{item}").text


def test_bulk_decisions_on_checked_items_skip_those_changed_meanwhile(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "edith")
    a, b = ids["prohibited"], ids["attribution"]
    client.post(
        f"/api/items/{b}/decision", json={"state": "cleared"}, headers={"X-CSRF-Token": token}
    )
    response = client.post(
        "/queue/bulk?review=any",
        data={
            "csrf_token": token,
            "state": "do_not_reuse",
            "items": [f"{a}:1", f"{b}:1"],
            "note": "bulk",
        },
    )
    assert response.status_code == 200
    assert "1 items decided." in response.text
    assert "changed by someone else" in response.text
    with db.session() as session:
        assert session.get(Article, a).review_state == "do_not_reuse"
        assert session.get(Article, b).review_state == "cleared"


def test_bulk_decision_on_everything_matching_the_filters(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "edith")
    matching = client.get("/api/queue?source=example&status=prohibited").json()
    total = matching["total"]
    assert total >= 2
    page = client.get("/queue?source=example&status=prohibited").text
    listed = page.split('name="all_items" value="')[1].split('"')[0]
    assert sorted(int(item.split(":")[0]) for item in listed.split()) == sorted(
        item["id"] for item in matching["items"]
    )
    data = {"csrf_token": token, "state": "permission_requested", "selection": "all"}
    # A form from before the page named its items (only a count) is refused.
    stale_form = client.post(
        "/queue/bulk?source=example&status=prohibited", data={**data, "expected_total": total}
    )
    assert stale_form.status_code == 409 and "changed since the page was loaded" in stale_form.text
    done = client.post(
        "/queue/bulk?source=example&status=prohibited", data={**data, "all_items": listed}
    )
    assert done.status_code == 200
    assert client.get("/api/queue?source=example&status=prohibited").json()["total"] == 0
    for item in matching["items"]:
        assert [e.after["state"] for e in _events(db, item["id"])] == ["permission_requested"]
    # Items outside the filter were not touched.
    with db.session() as session:
        assert session.get(Article, ids["permission"]).review_state == "pending"


def test_deciding_on_an_item_that_no_longer_exists(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    login(client, "edith")
    item = ids["attribution"]
    page = client.get(f"/items/{item}").text
    with db.session() as session:
        session.delete(session.get(Article, item))
    response = _decide_form(client, item, page, state="cleared")
    assert response.status_code == 404
    assert f"Item {item} does not exist" in response.text
