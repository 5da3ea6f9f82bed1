"""One answer to "may we reuse this?": the stored reuse verdict (the page's own verdict plus what
it inherits from its original and its publisher's registered terms) is what the demo summary,
the review queue, the item page and API, export, the reuse gate and every report format show,
filter and count — and it follows its inputs when they change."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from brwatch.attribution.registry import DEFAULT_PUBLISHERS_FILE, load_publishers
from brwatch.demo.summary import summarize
from brwatch.provenance import link_batch, refresh_stale, reset_shared_indexes
from brwatch.provenance.index import fingerprint_bytes, fingerprint_text
from brwatch.provenance.reuse import registry_version
from brwatch.reports import build_report, render
from brwatch.reports.htmlpage import PDF, render_html
from brwatch.reuse import check_reuse, parse_draft
from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.web import WebSettings, create_app
from tests.web_data import add_users, login, make_client, verdict

NOTICE_TEXT = "The Belt and Road corridor opened. Reproduction is not allowed without permission."


@dataclass(frozen=True)
class Case:
    """An article of the world below and the reuse status every surface must give it."""

    key: str
    reuse: str | None
    flagged: bool


# The page's own verdict is in the comment; the reuse verdict is what it inherits on top.
CASES = [
    Case("original", "prohibited", True),  # own prohibited
    Case("copy", "prohibited", True),  # own unknown, reprints "original"
    Case("xinhua", "prohibited", True),  # own unknown, credits 新华社 (registered: prohibited)
    Case("permission_original", "permission_required", True),  # own permission_required
    Case("open_copy", "permission_required", True),  # own open licence, reprints the above
    Case("open", "open_license", False),  # own open licence
    Case("unmatched", "unknown", True),  # own unknown, but rights wording no rule knows
    Case("attribution", "attribution_required", True),  # own attribution_required
]
OFFTOPIC_REUSE = "prohibited"  # not relevant: counted nowhere but in "articles"


def _verdict(status: str, *, origin: str | None = None, license: str | None = None) -> dict:
    shaped = verdict(status, text=NOTICE_TEXT if status == "prohibited" else "")
    shaped.update(origin=origin, license=license, credit=None)
    return shaped


def _article(session: Any, n: int, key: str, status: str, **fields: Any) -> Article:
    own = fields.pop("rights", None) or _verdict(status)
    article = Article(
        canonical_url=f"https://{key.replace('_', '-')}.example/news/{n}",
        url=f"https://{key.replace('_', '-')}.example/news/{n}",
        source=fields.pop("source", "example"),
        title=f"Belt and Road story {n} ({key})",
        text=fields.pop("text", NOTICE_TEXT),
        lang="en",
        relevant=fields.pop("relevant", True),
        rights=own,
        rights_status=status,
        rights_conflict=False,
        **fields,
    )
    session.add(article)
    session.flush()
    return article


def build_world(db: Database) -> dict[str, int]:
    """Model rows as the crawler leaves them (own verdicts, origins, reprint links); no reuse
    verdict is stored yet: the first reader computes it."""
    ids: dict[str, int] = {}
    with db.session() as session:

        def add(n: int, key: str, status: str, **fields: Any) -> None:
            ids[key] = _article(session, n, key, status, **fields).id

        add(1, "original", "prohibited", source="wire")
        add(2, "copy", "unknown", reprint_of_id=ids["original"], source="copier")
        add(3, "xinhua", "unknown", rights=_verdict("unknown", origin="新华社"), origin="新华社")
        add(4, "permission_original", "permission_required")
        add(
            5,
            "open_copy",
            "open_license",
            rights=_verdict("open_license", license="CC-BY-4.0"),
            reprint_of_id=ids["permission_original"],
        )
        add(6, "open", "open_license", rights=_verdict("open_license", license="CC-BY-4.0"))
        add(7, "unmatched", "unknown", rights_unmatched=True)
        add(8, "attribution", "attribution_required")
        add(9, "offtopic", "prohibited", relevant=False)
    add_users(db)
    return ids


@pytest.fixture
def world(db: Database) -> Iterator[tuple[Database, dict[str, int]]]:
    yield db, build_world(db)


def _expected(ids: dict[str, int]) -> dict[int, str | None]:
    return {ids[case.key]: case.reuse for case in CASES}


def _flagged_ids(ids: dict[str, int]) -> set[int]:
    return {ids[case.key] for case in CASES if case.flagged}


def _by_status(ids: dict[str, int]) -> dict[str, int]:
    """Reuse statuses of the relevant articles, counted."""
    return dict(Counter(case.reuse for case in CASES if case.reuse))


def _api(db: Database) -> TestClient:
    client = make_client(create_app(db, WebSettings(secret_key="one-verdict")))
    login(client, "lena")
    return client


def test_every_surface_gives_the_same_reuse_verdict(  # type: ignore[no-untyped-def]
    world: tuple[Database, dict[str, int]], db_url: str, brwatch
) -> None:
    db, ids = world
    expected = _expected(ids)
    client = _api(db)
    # Legal clears the reprint whose reuse verdict is prohibited (its own page says nothing).
    token = client.get("/api/me").json()["csrf_token"]
    cleared = client.post(
        f"/api/items/{ids['copy']}/decision",
        json={"state": "cleared"},
        headers={"X-CSRF-Token": token},
    )
    assert cleared.status_code == 200

    with db.session() as session:
        urls = dict(session.execute(select(Article.id, Article.url)).all())

    # The demo's summary: flagged articles and statuses.
    summary = summarize(db)
    assert {a.url for a in summary.flagged} == {urls[i] for i in _flagged_ids(ids)}
    assert len(summary.flagged) == 7
    assert dict(summary.by_status) == _by_status(ids)

    # The review queue and its API: membership, each row's status, the counts.
    queue = client.get("/api/queue?review=any&per_page=200").json()
    assert queue["total"] == 7
    assert {row["id"]: row["rights_status"] for row in queue["items"]} == {
        i: s for i, s in expected.items() if i in _flagged_ids(ids)
    }
    assert queue["counts"]["rights_status"] == {
        status: n for status, n in _by_status(ids).items() if status in
        ("prohibited", "permission_required", "attribution_required")
    }  # fmt: skip
    copy_row = next(row for row in queue["items"] if row["id"] == ids["copy"])
    assert copy_row["own_rights_status"] == "unknown"
    prohibited_only = client.get("/api/queue?review=any&status=prohibited").json()
    assert {row["id"] for row in prohibited_only["items"]} == {
        ids["original"],
        ids["copy"],
        ids["xinhua"],
    }

    # The item API and the item page.
    for article_id, status in expected.items():
        item = client.get(f"/api/items/{article_id}").json()
        assert item["rights"]["status"] == status, article_id
        page = client.get(f"/items/{article_id}").text
        assert f'data-reuse-status="{status}"' in page, article_id

    # export (the real CLI, global option after the verb).
    exported = brwatch("export", "--json", "--all", "--db", db_url)
    assert exported.returncode == 0, exported
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    by_url = {line["url"]: line for line in lines}
    for article_id, status in expected.items():
        assert by_url[urls[article_id]]["rights"]["status"] == status, article_id
    assert by_url[urls[ids["copy"]]]["own_rights"]["status"] == "unknown"
    assert by_url[urls[ids["offtopic"]]]["rights"]["status"] == OFFTOPIC_REUSE

    # The reuse gate.
    draft = parse_draft("A draft that credits nobody.", "draft.txt")
    for article_id, status in expected.items():
        assert check_reuse(db, urls[article_id], draft).status == status, article_id

    # Every report format.
    report = build_report(db, None, None)
    wanted = {**dict.fromkeys(report.totals["by_status"], 0), **_by_status(ids)}
    assert report.totals["by_status"] == wanted
    assert report.totals["flagged"] == 7
    data = json.loads(render(report, "json"))
    assert data["totals"]["by_status"] == wanted and data["totals"]["flagged"] == 7
    json_items = {item["id"]: item["rights_status"] for item in data["items"]}
    restricted = {i: s for i, s in expected.items() if s in ("prohibited", "permission_required")}
    assert {i: s for i, s in json_items.items() if i in expected} == restricted
    copy_item = next(item for item in data["items"] if item["id"] == ids["copy"])
    assert copy_item["page_rights_status"] == "unknown"
    assert copy_item["inherited"][0]["via"] == "reprint_of"
    # The cleared reprint is an exception: its reuse verdict forbids what legal allowed.
    assert ("cleared_against_rights", ids["copy"]) in {
        (e["kind"], e["article_id"]) for e in data["exceptions"]
    }
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode())))
    assert {int(row["id"]): row["rights_status"] for row in rows if int(row["id"]) in expected} == (
        restricted
    )
    for layout_html in (render(report, "html").decode(), render_html(report, PDF)):
        for status, n in wanted.items():
            assert re.search(rf'id="status-{status}">.*?<td class="n">{n}</td>', layout_html)
        assert "cleared against rights" in layout_html
    assert render(report, "pdf").startswith(b"%PDF")


def test_item_page_shows_the_page_s_own_verdict_and_each_inherited_part(
    world: tuple[Database, dict[str, int]],
) -> None:
    db, ids = world
    client = _api(db)
    item = client.get(f"/api/items/{ids['copy']}").json()
    assert item["own_rights"]["status"] == "unknown"
    assert item["rights"]["status"] == "prohibited"
    [part] = item["inherited"]
    assert (part["via"], part["article_id"], part["status"]) == (
        "reprint_of", ids["original"], "prohibited"
    )  # fmt: skip
    page = client.get(f"/items/{ids['copy']}").text
    own = re.search(r'<li data-part="own">.*?</li>', page, re.S)
    assert own and 'data-status="unknown"' in own.group()
    inherited = re.search(r'<li data-part="reprint_of">.*?</li>', page, re.S)
    assert inherited and f'href="/items/{ids["original"]}"' in inherited.group()
    assert 'data-status="prohibited"' in inherited.group()

    terms = client.get(f"/items/{ids['xinhua']}").text
    part_html = re.search(r'<li data-part="publisher_terms">.*?</li>', terms, re.S)
    assert part_html and "Xinhua News Agency" in part_html.group()
    assert "未经协议授权" in part_html.group()  # the basis of the registered terms
    assert 'data-status="prohibited"' in part_html.group()


def test_a_change_to_the_original_reaches_its_copies(
    world: tuple[Database, dict[str, int]],
) -> None:
    """A recheck (or a re-crawl) changing the original's own verdict: the copy's stored reuse
    verdict changes too before anything reads it."""
    db, ids = world
    client = _api(db)
    assert client.get(f"/api/items/{ids['copy']}").json()["rights"]["status"] == "prohibited"
    with db.session() as session:  # as brwatch recheck writes a new verdict
        original = session.get(Article, ids["original"])
        original.rights = _verdict("open_license", license="CC-BY-4.0")
        original.rights_status = "open_license"
    assert client.get(f"/api/items/{ids['copy']}").json()["rights"]["status"] == "open_license"
    queue_ids = {row["id"] for row in client.get("/api/queue?review=any").json()["items"]}
    assert ids["copy"] not in queue_ids and ids["original"] not in queue_ids


def test_linking_a_reprint_stores_its_reuse_verdict_at_once(db: Database) -> None:
    body = " ".join(
        f"Officials opened the new Belt and Road rail corridor, stage {n}, linking ports."
        for n in range(40)
    )
    with db.session() as session:
        original = _article(session, 1, "linked-original", "prohibited", text=body)
        copy = _article(session, 2, "linked-copy", "unknown", text=body)
        session.flush()
        fingerprints = {
            a.id: fingerprint_bytes(fingerprint_text(a.title, body)) for a in (original, copy)
        }
        original_id, copy_id = original.id, copy.id
    reset_shared_indexes()
    link_batch(db, fingerprints)
    version = registry_version(load_publishers())
    with db.session() as session:
        stored = session.get(Article, copy_id)
        assert stored.reprint_of_id == original_id
        # Written by the linking itself: current, no reader needed.
        assert (stored.reuse_status, stored.reuse_basis) == ("prohibited", version)


def test_an_edited_publisher_registry_changes_the_stored_verdicts(
    world: tuple[Database, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, ids = world
    client = _api(db)
    assert client.get(f"/api/items/{ids['xinhua']}").json()["rights"]["status"] == "prohibited"
    data = yaml.safe_load(Path(DEFAULT_PUBLISHERS_FILE).read_text(encoding="utf-8"))
    xinhua = next(p for p in data["publishers"] if p["id"] == "xinhua")
    xinhua["terms"] = {"status": "attribution_required", "basis": "a new agreement"}
    edited = tmp_path / "publishers.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("BRWATCH_PUBLISHERS", str(edited))
    item = client.get(f"/api/items/{ids['xinhua']}").json()
    assert item["rights"]["status"] == "attribution_required"
    assert item["inherited"][0]["basis"] == "a new agreement"
    with db.session() as session:
        assert session.get(Article, ids["xinhua"]).reuse_basis == registry_version(
            load_publishers(edited)
        )


def test_rights_wording_no_rule_knows_stays_flagged_under_the_reuse_verdict(
    world: tuple[Database, dict[str, int]],
) -> None:
    db, ids = world
    client = _api(db)
    queue = client.get("/api/queue").json()
    row = next(row for row in queue["items"] if row["id"] == ids["unmatched"])
    assert (row["rights_status"], row["unmatched"]) == ("unknown", True)
    report = build_report(db, None, None)
    assert report.totals["flagged"] == queue["total"] == 7


def test_migration_0004_keeps_the_own_verdict_until_the_reuse_verdict_is_computed(
    tmp_path: Path,
) -> None:
    """An existing database (at revision 0003) gets the columns; the first reader fills them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Database(url, migrate=False)
    from alembic import command

    from brwatch.storage.database import _alembic_config

    command.upgrade(_alembic_config(old.engine), "0003")
    with old.engine.begin() as connection:
        for n, status, reprint_of in ((1, "prohibited", None), (2, "unknown", 1)):
            connection.execute(
                text(
                    "INSERT INTO articles (id, canonical_url, url, source, authors, topic_score,"
                    " relevant, rights_status, rights_conflict, rights_unmatched, review_state,"
                    " review_version, first_seen_at, fetched_at, updated_at, reprint_of_id)"
                    " VALUES (:n, :u, :u, 's', '[]', 0.9, 1, :status, 0, 0, 'pending', 1,"
                    " '2026-11-01 00:00:00', '2026-11-01 00:00:00', '2026-11-01 00:00:00', :r)"
                ),
                {"n": n, "u": f"https://old.example/{n}", "status": status, "r": reprint_of},
            )
    old.dispose()
    db = Database(url)
    with db.session() as session:
        rows = dict(session.execute(select(Article.id, Article.reuse_status)).all())
    assert rows == {1: "prohibited", 2: "unknown"}  # the page's own, for now
    assert refresh_stale(db) == 2
    with db.session() as session:
        assert session.get(Article, 2).reuse_status == "prohibited"
    db.dispose()
