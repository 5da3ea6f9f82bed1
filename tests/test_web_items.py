"""The queue's filters, sorting, counts and pages; the item page's evidence and safe snapshot."""

from __future__ import annotations

import gzip
import html
import re

import pytest
from fastapi import FastAPI

from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot, SourceFlag
from brwatch.web.evidence import highlighted_segments, place_evidence
from brwatch.web.snapshot import sanitise_html, snapshot_frame_document
from tests.web_data import (
    HOSTILE_HTML,
    NOTICE,
    PROHIBITED_TEXT,
    add_article,
    login,
    make_client,
    web_fixture,  # noqa: F401  (the `web` fixture)
)

World = tuple[FastAPI, Database, dict[str, int]]


def _ids(response_json: dict) -> list[int]:
    return [item["id"] for item in response_json["items"]]


def test_queue_holds_flagged_relevant_items_only(web: World) -> None:
    app, _, ids = web
    client = make_client(app)
    login(client, "edith")
    listed = set(_ids(client.get("/api/queue").json()))
    flagged = {"prohibited", "permission", "attribution", "conflict", "hostile", "reprint"}
    assert listed == {ids[name] for name in flagged}
    everything = set(_ids(client.get("/api/queue?include_irrelevant=true").json()))
    assert ids["offtopic"] in everything and ids["open"] not in everything


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=permission_required", {"permission"}),
        ("link=missing", {"attribution"}),
        ("conflict=yes", {"conflict"}),
        ("source=other", {"permission"}),
        ("lang=zh", {"permission"}),
        ("since=2026-10-29&until=2026-10-30", {"permission", "attribution"}),
        ("q=story%203", {"attribution"}),
        ("review=cleared", set()),
        # A submitted filter form sends its empty fields too.
        ("status=permission_required&link=&conflict=&since=&until=&q=&source=", {"permission"}),
    ],
)
def test_queue_filters(web: World, query: str, expected: set[str]) -> None:
    app, _, ids = web
    client = make_client(app)
    login(client, "edith")
    assert set(_ids(client.get(f"/api/queue?{query}").json())) == {ids[n] for n in expected}


def test_queue_sorting_counts_and_pages(web: World) -> None:
    app = web[0]
    client = make_client(app)
    login(client, "edith")
    newest = _ids(client.get("/api/queue").json())
    assert newest == sorted(newest, reverse=True)  # fetched later in the fixture = higher id
    assert _ids(client.get("/api/queue?sort=oldest").json()) == list(reversed(newest))
    first = client.get("/api/queue?per_page=4").json()
    second = client.get("/api/queue?per_page=4&page=2").json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (
        6,
        2,
        4,
        2,
    )
    assert set(_ids(first)).isdisjoint(_ids(second))
    counts = first["counts"]
    assert counts["rights_status"] == {
        "prohibited": 4,
        "permission_required": 1,
        "attribution_required": 1,
    }
    assert counts["review_state"] == {"pending": 6}
    assert counts["attribution_link"] == {"missing": 1}
    assert counts["conflict"] == 1
    page = client.get("/queue?per_page=4").text
    assert "Page 1 of 2" in page and 'rel="next"' in page
    assert page.count("data-row") == 4


def test_item_page_shows_verdict_evidence_in_context_and_reprint_chain(web: World) -> None:
    app, _, ids = web
    client = make_client(app)
    login(client, "edith")
    page = client.get(f"/items/{ids['reprint']}").text
    assert "Prohibited" in page and "en.reproduction-not-allowed" in page
    assert f"<mark>{html.escape(NOTICE)}</mark>" in page
    assert "Officials discussed new rail links" in page  # the context around the notice
    assert "meta_copyright" in page  # a machine-readable signal
    assert f'href="/items/{ids["prohibited"]}"' in page  # reprint of
    original = client.get(f"/items/{ids['prohibited']}").text
    assert f'href="/items/{ids["reprint"]}"' in original  # reprinted by
    assert 'href="https://news.example/1"' in original  # link to the original
    checks = client.get(f"/items/{ids['attribution']}").text
    assert "Xinhua" in checks and "Link missing" in checks


def test_evidence_is_placed_by_offsets_or_by_searching() -> None:
    start = PROHIBITED_TEXT.index(NOTICE)
    by_offsets = {"text": NOTICE, "scope": "body", "start": start, "end": start + len(NOTICE)}
    by_search = {"text": "rail links", "scope": "tail", "start": 0, "end": 10}
    nowhere = {"text": "© Someone", "scope": "footer", "start": 3, "end": 12}
    placed = place_evidence(PROHIBITED_TEXT, [by_offsets, by_search, nowhere])
    assert [p.match for p in placed] == [NOTICE, "rail links", "© Someone"]
    assert [p.placed for p in placed] == [True, True, False]
    segments = highlighted_segments(PROHIBITED_TEXT, [by_offsets, by_search])
    assert "".join(text for text, _ in segments) == PROHIBITED_TEXT
    assert [text for text, index in segments if index is not None] == ["rail links", NOTICE]


def test_hostile_page_is_inert_on_the_item_page(web: World) -> None:
    app, _, ids = web
    client = make_client(app)
    login(client, "edith")
    page = client.get(f"/items/{ids['hostile']}").text
    # The hostile title is text, and its javascript: URL is not made a link.
    assert "<script>window.__pwned" not in page
    assert "&lt;script&gt;window.__pwned=true&lt;/script&gt;Hostile page" in page
    assert 'href="javascript:' not in page
    frame = re.search(r'<iframe class="snapshot-frame" sandbox="" [^>]*srcdoc="([^"]*)"', page)
    assert frame, "the snapshot must be in a sandboxed srcdoc frame"
    document = html.unescape(frame.group(1))
    assert "Content-Security-Policy" in document and "default-src 'none'" in document
    body = document.split("</head>", 1)[1].lower()
    for forbidden in ("<script", "onload", "onerror", "onclick", "onfocus", "javascript:", "style",
                      "<img", "<iframe", "<object", "<link", "<meta", "<base", "<form", "<video",
                      "<svg", "http://", "url("):  # fmt: skip
        assert forbidden not in body, forbidden
    assert "port deal signed" in body and "reproduction is not allowed" in body


def test_sanitiser_keeps_text_structure_only() -> None:
    cleaned = sanitise_html(
        '<h2 class="x">Head</h2><p>One <b>two</b> <a href="https://e.x/">three</a></p>'
    )
    assert cleaned == "<h2>Head</h2><p>One <b>two</b> <a>three</a></p>"


def test_unreadable_snapshot_is_reported_not_a_500(web: World) -> None:
    app, db, _ = web
    article_id = add_article(db, 50)
    with db.session() as session:
        session.add(
            Snapshot(
                article_id=article_id,
                url="https://news.example/50",
                html_gz=b"not gzip",
                sha256="0" * 64,
            )
        )
    client = make_client(app)
    login(client, "edith")
    response = client.get(f"/items/{article_id}")
    assert response.status_code == 200
    assert "The stored snapshot cannot be read." in response.text


def test_odd_stored_data_does_not_break_the_item_page(web: World) -> None:
    app, db, _ = web
    article_id = add_article(
        db,
        51,
        rights={"status": "prohibited", "evidence": ["junk", {"kind": "notice"}]},
        text=None,
        published=None,
        reprint_of_id=None,
    )
    with db.session() as session:
        article = session.get(Article, article_id)
        article.reprint_of_id = article_id  # a loop must not hang the page
    client = make_client(app)
    login(client, "edith")
    assert client.get(f"/items/{article_id}").status_code == 200
    assert client.get(f"/api/items/{article_id}").json()["reprint_of"] == []


def test_snapshot_frame_document_decodes_declared_encodings() -> None:
    raw = '<html><head><meta charset="gbk"></head><body><p>一带一路</p></body></html>'.encode("gbk")
    assert "<p>一带一路</p>" in snapshot_frame_document(gzip.compress(raw))
    assert HOSTILE_HTML  # the browser test uses the same page


def test_queue_shows_source_health_flags(web: World) -> None:
    app, db, _ = web
    with db.session() as session:
        session.add(SourceFlag(source="example", kind="no_items", detail="no new items in 3 runs"))
    client = make_client(app)
    login(client, "edith")
    page = client.get("/queue").text
    assert "Source health" in page and "no new items in 3 runs" in page
