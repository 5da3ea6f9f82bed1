"""Decisions that stand up in an audit: "permission granted" only on a grant in force that covers
the article, reports that list decisions whose grant lapsed since, and bulk decisions that touch
exactly the items (and versions) the reviewer saw — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from brwatch.reports import build_report, render
from brwatch.reuse import revoke_grant
from brwatch.storage import Database
from brwatch.storage.models import Article, AuditEvent, Grant, User
from brwatch.web import WebSettings, create_app
from tests.web_data import add_article, csrf_from, login, make_client, populate

World = tuple[FastAPI, Database, dict[str, int]]


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    yield create_app(db, WebSettings(secret_key="audit")), db, populate(db)


def _grant(db: Database, publisher: str, **fields: object) -> int:
    with db.session() as session:
        grant = Grant(publisher=publisher, scope=fields.pop("scope", "all"), **fields)
        session.add(grant)
        session.flush()
        return grant.id


def _grant_decision(client: TestClient, token: str, item: int, grant_id: int) -> object:
    return client.post(
        f"/api/items/{item}/decision",
        json={"state": "permission_granted", "grant_id": grant_id},
        headers={"X-CSRF-Token": token},
    )


def test_permission_granted_needs_a_grant_in_force_that_covers_the_article(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "lena")
    item = ids["prohibited"]  # credits "Example News"
    expired = _grant(
        db,
        "Example News",
        valid_from=datetime(2019, 1, 1, tzinfo=UTC),
        valid_to=datetime(2020, 12, 31, 23, 59, tzinfo=UTC),
    )
    unrelated = _grant(db, "Unrelated Press")
    future = _grant(db, "Example News", valid_from=datetime.now(UTC) + timedelta(days=30))
    for_this_article = _grant(
        db, "Someone", scope="article", article_url=f"https://news.example/{item}"
    )

    refused = _grant_decision(client, token, item, expired)
    assert refused.status_code == 400
    assert refused.json()["error"] == "grant_expired"
    assert refused.json()["message"] == f"Grant #{expired} expired on 2020-12-31."

    refused = _grant_decision(client, token, item, unrelated)
    assert (refused.status_code, refused.json()["error"]) == (400, "grant_not_covering")
    assert "Unrelated Press" in refused.json()["message"]
    assert "Example News" in refused.json()["message"]  # whose grant it would need

    refused = _grant_decision(client, token, item, future)
    assert (refused.status_code, refused.json()["error"]) == (400, "grant_not_yet_valid")
    with db.session() as session:
        assert session.get(Article, item).review_state == "pending"  # nothing recorded

    assert _grant_decision(client, token, item, for_this_article).status_code == 200
    other = ids["attribution"]  # also credits Example News: the publisher grant covers it
    assert _grant_decision(client, token, other, ids["grant"]).status_code == 200


def test_the_item_form_says_why_a_grant_is_refused_in_the_user_s_language(world: World) -> None:
    app, db, ids = world
    with db.session() as session:
        session.execute(update(User).where(User.name == "lena").values(locale="zh_CN"))
    revoked = _grant(db, "Example News", revoked_at=datetime(2026, 1, 5, tzinfo=UTC))
    client = make_client(app)
    login(client, "lena")
    item = ids["prohibited"]
    page = client.get(f"/items/{item}").text
    version = page.split('name="version" value="')[1].split('"')[0]
    answer = client.post(
        f"/items/{item}/decide",
        data={
            "csrf_token": csrf_from(page),
            "version": version,
            "state": "permission_granted",
            "grant_id": str(revoked),
        },
    )
    assert answer.status_code == 400
    assert f"授权 #{revoked} 已于 2026-01-05 撤销。" in answer.text


def test_reports_list_decisions_whose_grant_has_since_lapsed(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "lena")
    revoked_later = _grant(db, "Example News")
    ending = _grant(db, "Example News", valid_to=datetime.now(UTC) + timedelta(days=3))
    kept = ids["grant"]
    decided = {
        ids["prohibited"]: revoked_later,
        ids["attribution"]: ending,
        ids["conflict"]: kept,
    }
    for item, grant_id in decided.items():
        assert _grant_decision(client, token, item, grant_id).status_code == 200
    before = build_report(db, None, None).exceptions
    assert not [e for e in before if e["kind"] == "decision_grant_lapsed"]
    revoke_grant(db, revoked_later, by="lena")
    with db.session() as session:  # time passes: the second grant ends
        session.execute(
            update(Grant)
            .where(Grant.id == ending)
            .values(valid_to=datetime.now(UTC) - timedelta(days=1))
        )
    report = build_report(db, None, None)
    lapsed = {e["article_id"]: e for e in report.exceptions if e["kind"] == "decision_grant_lapsed"}
    assert set(lapsed) == {ids["prohibited"], ids["attribution"]}
    assert lapsed[ids["prohibited"]]["grant_id"] == revoked_later
    assert lapsed[ids["prohibited"]]["grant_revoked_at"] is not None
    assert lapsed[ids["prohibited"]]["grant_problem"] == "grant_revoked"
    assert lapsed[ids["attribution"]]["grant_id"] == ending
    assert lapsed[ids["attribution"]]["grant_problem"] == "grant_expired"
    data = json.loads(render(report, "json"))
    in_json = {e["article_id"] for e in data["exceptions"] if e["kind"] == "decision_grant_lapsed"}
    assert in_json == {ids["prohibited"], ids["attribution"]}
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(render(report, "csv").decode()))}
    assert "decision_grant_lapsed" in rows[ids["attribution"]]["exceptions"]
    html = render(report, "html").decode()
    assert 'id="exception-count-decision_grant_lapsed">2<' in html


def test_bulk_all_decides_exactly_the_items_and_versions_listed(world: World) -> None:
    """Same number of matching items, other members: the listed ones are decided, the newcomer
    is not touched, and another user's newer decision is left standing and reported."""
    app, db, ids = world
    editor, other = make_client(app), make_client(app)
    token = login(editor, "edith")
    other_token = login(other, "olga")
    page = editor.get("/queue?source=example&status=prohibited").text
    listed = page.split('name="all_items" value="')[1].split('"')[0]
    listed_ids = sorted(int(item.split(":")[0]) for item in listed.split())
    assert ids["prohibited"] in listed_ids and ids["conflict"] in listed_ids
    # Meanwhile: olga decides one listed item; another stops matching (its rights change);
    # two new items start matching. The count is the same, the members are not.
    assert (
        other.post(
            f"/api/items/{ids['conflict']}/decision",
            json={"state": "cleared", "note": "checked with the publisher"},
            headers={"X-CSRF-Token": other_token},
        ).status_code
        == 200
    )
    with db.session() as session:
        gone = session.get(Article, ids["hostile"])
        gone.rights_status = "open_license"
        gone.rights = {**gone.rights, "status": "open_license"}
    newcomers = [add_article(db, n, source="example") for n in (20, 21)]
    now = editor.get("/api/queue?source=example&status=prohibited").json()
    assert now["total"] == len(listed_ids)
    assert {row["id"] for row in now["items"]} != set(listed_ids)
    answer = editor.post(
        "/queue/bulk?source=example&status=prohibited",
        data={
            "csrf_token": token,
            "state": "do_not_reuse",
            "selection": "all",
            "all_items": listed,
        },
    )
    assert answer.status_code == 200
    with db.session() as session:
        states = dict(session.execute(select(Article.id, Article.review_state)).all())
        trail = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == ids["conflict"])
        ).all()
    assert states[ids["prohibited"]] == "do_not_reuse"
    assert states[ids["conflict"]] == "cleared"  # olga's newer decision stands
    assert [e.user for e in trail if e.entity == "article"] == ["olga"]
    assert states[ids["hostile"]] == "pending"  # no longer matched the filters
    assert all(states[n] == "pending" for n in newcomers)  # never listed
    assert (
        f"were changed by someone else meanwhile and were left as they are: #{ids['conflict']}"
        in answer.text
    )
    assert (
        f"no longer match the filters and were left as they are: #{ids['hostile']}" in answer.text
    )


def test_bulk_permission_granted_leaves_the_items_the_grant_does_not_cover(world: World) -> None:
    app, db, ids = world
    client = make_client(app)
    token = login(client, "lena")
    other_publisher = add_article(db, 21, source="example")
    with db.session() as session:
        article = session.get(Article, other_publisher)
        article.rights = {**article.rights, "credit": "Another Agency"}
    answer = client.post(
        "/queue/bulk?review=any",
        data={
            "csrf_token": token,
            "state": "permission_granted",
            "grant_id": str(ids["grant"]),
            "items": [f"{ids['prohibited']}:1", f"{other_publisher}:1"],
        },
    )
    assert answer.status_code == 200
    assert "1 items decided." in answer.text
    assert (
        f"not covered by the chosen grant and were left as they are: #{other_publisher}"
        in answer.text
    )
    with db.session() as session:
        assert session.get(Article, ids["prohibited"]).review_state == "permission_granted"
        assert session.get(Article, other_publisher).review_state == "pending"


def test_reports_list_an_earlier_decision_on_a_grant_that_never_covered_the_article(
    world: World,
) -> None:
    """Decisions recorded before grants were checked stay visible to an audit."""
    _, db, ids = world
    unrelated = _grant(db, "Unrelated Press")
    item = ids["permission"]
    with db.session() as session:
        session.execute(
            update(Article)
            .where(Article.id == item)
            .values(review_state="permission_granted", review_version=2)
        )
        session.add(
            AuditEvent(
                user="lena",
                entity="article",
                entity_id=item,
                action="decide",
                before={"state": "pending", "version": 1},
                after={"state": "permission_granted", "version": 2, "grant_id": unrelated},
            )
        )
    report = build_report(db, None, None)
    [entry] = [e for e in report.exceptions if e["kind"] == "decision_grant_lapsed"]
    assert (entry["article_id"], entry["grant_id"], entry["grant_problem"]) == (
        item, unrelated, "grant_not_covering"
    )  # fmt: skip
