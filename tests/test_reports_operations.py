"""Reports: each source's freshness over the period, and a link from every restricted item to its
signed evidence package (which the web app serves)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema

import brwatch.reports
from brwatch.evidence import init_key
from brwatch.reports import build_report, render
from brwatch.storage import Database
from brwatch.storage.models import CrawlRun
from brwatch.web import WebSettings, create_app
from tests.web_data import add_article, add_users, login, make_client

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)  # --until 2026-11-30 includes that day


def run(db: Database, source: str, status: str, started: datetime) -> datetime:
    finished = started + timedelta(minutes=30)
    with db.session() as session:
        session.add(CrawlRun(source=source, status=status, started_at=started,
                             finished_at=finished, pages=3))  # fmt: skip
    return finished


def test_freshness_of_each_source_over_the_period(db: Database) -> None:
    before = run(db, "alpha", "ok", datetime(2026, 10, 28, tzinfo=UTC))
    first = run(db, "alpha", "ok", datetime(2026, 11, 2, tzinfo=UTC))
    run(db, "alpha", "failed", datetime(2026, 11, 5, tzinfo=UTC))
    last = run(db, "alpha", "ok", datetime(2026, 11, 10, tzinfo=UTC))
    run(db, "alpha", "ok", datetime(2026, 12, 3, tzinfo=UTC))  # after the period
    run(db, "beta", "failed", datetime(2026, 11, 3, tzinfo=UTC))
    run(db, "beta", "killed", datetime(2026, 11, 4, tzinfo=UTC))

    report = build_report(db, "2026-11-01", "2026-11-30", now=NOW)
    alpha, beta = report.freshness["alpha"], report.freshness["beta"]
    assert (alpha["runs"], alpha["ok"], alpha["failed"], alpha["killed"]) == (3, 2, 1, 0)
    assert alpha["last_success"] == last.isoformat()
    assert alpha["hours_stale_at_end"] == round((END - last).total_seconds() / 3600, 2)
    gaps = [first - before, last - first, END - last]
    assert alpha["longest_gap_hours"] == round(max(gaps).total_seconds() / 3600, 2)
    assert (beta["runs"], beta["ok"], beta["failed"], beta["killed"]) == (2, 0, 1, 1)
    assert beta["last_success"] is None and beta["hours_stale_at_end"] is None
    assert beta["longest_gap_hours"] == 30 * 24  # never fresh in the whole of November

    html = render(report, "html").decode()
    assert 'id="freshness"' in html and 'data-source="beta"' in html
    only_beta = build_report(db, "2026-11-01", "2026-11-30", ["beta"], now=NOW)
    assert list(only_beta.freshness) == ["beta"]


def test_every_restricted_item_links_to_its_evidence_package(
    sqlite_db: Database, tmp_path: Path
) -> None:
    add_users(sqlite_db)
    restricted = add_article(
        sqlite_db, 1, first_seen_at=datetime(2026, 11, 3, tzinfo=UTC),
        html="<html><body><p>Reproduction is not allowed without permission.</p></body></html>",
    )  # fmt: skip
    report = build_report(sqlite_db, "2026-11-01", "2026-11-30", now=NOW)
    (item,) = [i for i in report.items if i["restricted"]]
    assert item["id"] == restricted
    assert item["evidence"]["href"] == f"/items/{restricted}/evidence"
    assert item["evidence"]["command"] == (
        f"brwatch evidence https://news.example/1 -o item-{restricted}.wacz"
    )
    document = json.loads(render(report, "json"))
    schema = json.loads(
        (Path(brwatch.reports.__file__).parent / "report.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(document, schema)
    html = render(report, "html").decode()
    assert f'<a href="/items/{restricted}/evidence" data-evidence="{restricted}">' in html
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode())))
    assert rows[0]["evidence_package"] == f"/items/{restricted}/evidence"

    # The link works where legal reads the report: the web app.
    key = tmp_path / "key.pem"
    init_key(key)
    app = create_app(sqlite_db, WebSettings(secret_key="r", signing_key=str(key)))
    legal = make_client(app)
    login(legal, "lena")
    view = legal.get("/reports/view?since=2026-11-01&until=2026-11-30")
    assert f'href="/items/{restricted}/evidence"' in view.text
    package = legal.get(item["evidence"]["href"])
    assert package.status_code == 200 and package.content.startswith(b"PK")
