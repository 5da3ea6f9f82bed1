"""Test data for the web app: users and articles inserted as model rows (no crawler involved)."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from brwatch.storage import Database
from brwatch.storage.models import Article, AttributionCheck, Grant, Snapshot, User
from brwatch.web import WebSettings, create_app

PASSWORD = "correct horse battery"
USERS = {"edith": "editor", "lena": "legal", "adam": "admin", "olga": "editor"}
BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

NOTICE = "Reproduction is not allowed without permission."
PROHIBITED_TEXT = (
    "The Belt and Road Forum opened in Beijing on Monday with delegates from 40 countries. "
    "Officials discussed new rail links across Central Asia. " + NOTICE
)

HOSTILE_HTML = """<!doctype html><html><head><title>hostile</title>
<script>window.__pwned = true; document.title = 'PWNED'; fetch('{canary}/script');</script>
<style>body {{ background: url('{canary}/css-background'); }} p {{ display: none }}</style>
<link rel="stylesheet" href="{canary}/stylesheet">
<meta http-equiv="refresh" content="0;url={canary}/refresh">
<base href="{canary}/base/">
</head><body onload="window.__pwned = true">
<h1 onclick="window.__pwned = true">Port deal signed</h1>
<p style="background-image: url('{canary}/inline-style')">Reproduction is not allowed
without permission.</p>
<img src="{canary}/image.png" onerror="window.__pwned = true; fetch('{canary}/onerror')">
<a href="javascript:window.__pwned=true">click me</a>
<svg onload="window.__pwned = true"><script>window.__pwned = true</script></svg>
<iframe src="{canary}/frame"></iframe>
<object data="{canary}/object"></object>
<form action="{canary}/form"><input name="q" autofocus onfocus="window.__pwned = true">
<button>go</button></form>
<video src="{canary}/video" autoplay></video>
</body></html>"""


def verdict(status: str, *, conflict: bool = False, text: str = PROHIBITED_TEXT) -> dict[str, Any]:
    start = text.find(NOTICE)
    evidence = []
    if start >= 0:
        evidence.append(
            {
                "rule_id": "en.reproduction-not-allowed",
                "kind": "notice",
                "status": status,
                "text": NOTICE,
                "scope": "body",
                "start": start,
                "end": start + len(NOTICE),
                "confidence": 0.95,
            }
        )
    evidence.append(
        {
            "rule_id": "meta.copyright",
            "kind": "meta_copyright",
            "status": "permission_required",
            "text": "© 2026 Example News",
            "scope": "meta",
            "start": 0,
            "end": 19,
            "confidence": 0.6,
        }
    )
    return {
        "status": status,
        "license": None,
        "requires_link": status == "attribution_required",
        "credit": "Example News",
        "origin": None,
        "obligations": ["credit"] if status == "attribution_required" else [],
        "conflict": conflict,
        "evidence": evidence,
        "ruleset": "test-1",
    }


@cache
def password_hash() -> str:
    """Hashed once per test session: argon2 is slow on purpose."""
    return PasswordHasher().hash(PASSWORD)


def add_users(db: Database) -> None:
    with db.session() as session:
        for name, role in USERS.items():
            session.add(User(name=name, role=role, password_hash=password_hash()))


def add_article(db: Database, n: int, **fields: Any) -> int:
    status = fields.pop("rights_status", "prohibited")
    html = fields.pop("html", None)
    values: dict[str, Any] = {
        "canonical_url": f"https://news.example/{n}",
        "url": f"https://news.example/{n}",
        "source": "example",
        "title": f"Belt and Road story {n}",
        "text": PROHIBITED_TEXT,
        "lang": "en",
        "published": BASE_TIME - timedelta(days=n),
        "fetched_at": BASE_TIME + timedelta(minutes=n),
        "relevant": True,
        "rights_status": status,
        "rights": verdict(status, conflict=fields.get("rights_conflict", False)),
        **fields,
    }
    with db.session() as session:
        article = Article(**values)
        session.add(article)
        session.flush()
        if html is not None:
            raw = html.encode()
            session.add(
                Snapshot(
                    article_id=article.id,
                    url=article.url,
                    html_gz=gzip.compress(raw),
                    sha256=hashlib.sha256(raw).hexdigest(),
                    headers={"content-type": "text/html; charset=utf-8"},
                )
            )
        return article.id


def add_grant(db: Database, publisher: str = "Example News") -> int:
    with db.session() as session:
        grant = Grant(publisher=publisher, scope="all", created_by="lena")
        session.add(grant)
        session.flush()
        return grant.id


def populate(db: Database, canary: str = "http://127.0.0.9:9") -> dict[str, int]:
    """A small review world: users, flagged and unflagged articles, a reprint, a check, a grant."""
    add_users(db)
    ids = {
        "prohibited": add_article(
            db, 1, html="<html><body><p>" + PROHIBITED_TEXT + "</p></body></html>"
        ),
        "permission": add_article(
            db,
            2,
            rights_status="permission_required",
            source="other",
            lang="zh",
            title="一带一路 新闻",
        ),
        "attribution": add_article(
            db, 3, rights_status="attribution_required", attribution_link="missing"
        ),
        "conflict": add_article(db, 4, rights_status="prohibited", rights_conflict=True),
        "open": add_article(db, 5, rights_status="open_license"),  # not flagged
        "offtopic": add_article(db, 6, relevant=False),
        "hostile": add_article(
            db,
            7,
            title="<script>window.__pwned=true</script>Hostile page",
            url="javascript:window.__pwned=true",
            html=HOSTILE_HTML.format(canary=canary),
        ),
    }
    ids["reprint"] = add_article(db, 8, reprint_of_id=ids["prohibited"], source="copycat")
    with db.session() as session:
        session.add(
            AttributionCheck(
                article_id=ids["attribution"],
                origin="Xinhua",
                outcome="missing",
                origin_url="https://xinhua.example/a",
            )
        )
    ids["grant"] = add_grant(db)
    return ids


# -- clients -------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the new session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/queue"}
    )
    assert response.status_code == 200 and response.url.path == "/queue", response.text[:300]
    return client.get("/api/me").json()["csrf_token"]


def make_client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=True)


@pytest.fixture(name="web")
def web_fixture(sqlite_db: Database) -> Iterator[tuple[FastAPI, Database, dict[str, int]]]:
    """A populated database on SQLite and the app on it."""
    ids = populate(sqlite_db)
    yield create_app(sqlite_db, WebSettings(secret_key="test-secret")), sqlite_db, ids
