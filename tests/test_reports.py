"""Rights reports: numbers against a known data set, every format, empty periods, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from brwatch.reports import ReportError, build_report, render
from brwatch.storage import Database
from brwatch.storage.models import Article, AuditEvent, GateDecision, Grant, Snapshot

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SINCE, UNTIL = "2026-10-01", "2026-10-31"
SNAPSHOT_SHA = "a" * 64
CJK_TITLE = "一带一路铁路开通"


def at(day: int, month: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def verdict(status: str | None, text: str | None = None, rule: str | None = None) -> dict | None:
    if status is None:
        return None
    evidence = []
    if text:
        evidence.append(
            {
                "rule_id": rule,
                "kind": "notice",
                "status": status,
                "text": text,
                "scope": "tail",
                "start": 0,
                "end": len(text),
                "confidence": 0.9,
            }
        )
    evidence.append(
        {
            "rule_id": "origin.source_line",
            "kind": "origin",
            "status": None,
            "text": "Source: Xinhua",
            "scope": "body",
            "start": 0,
            "end": 14,
            "confidence": 0.9,
        }
    )
    return {
        "status": status,
        "license": None,
        "requires_link": False,
        "credit": None,
        "origin": None,
        "obligations": [],
        "conflict": False,
        "evidence": evidence,
    }


def article(
    number: int,
    source: str,
    status: str | None,
    *,
    relevant: bool = True,
    seen: datetime,
    title: str | None = None,
    review: str = "pending",
    link: str = "not_required",
    conflict: bool = False,
    site: str | None = None,
    notice: str | None = None,
    rule: str | None = None,
) -> Article:
    url = f"https://{source}.example/news/{number}.html"
    return Article(
        id=number,
        canonical_url=url,
        url=url,
        source=source,
        title=title or f"Belt and Road story {number}",
        lang="zh" if title else "en",
        relevant=relevant,
        rights=verdict(status, notice, rule),
        rights_status=status,
        rights_conflict=conflict,
        ruleset="test-1",
        review_state=review,
        attribution_link=link,
        site_name=site,
        first_seen_at=seen,
        fetched_at=seen,
        updated_at=seen,
    )


def decide(article_id: int, when: datetime, before: str, after: str) -> AuditEvent:
    return AuditEvent(
        at=when,
        user="alice",
        entity="article",
        entity_id=article_id,
        action="decide",
        before={"state": before},
        after={"state": after},
        note=f"{before} to {after}",
    )


def populate_known(db: Database) -> None:
    """Seven articles in October (two sources), one in September; decisions, grants, gate."""
    with db.session() as session:
        session.add_all(
            [
                # 1: prohibited, cleared, no grant -> exception; snapshot; CJK title.
                article(
                    1,
                    "alpha",
                    "prohibited",
                    seen=at(2),
                    title=CJK_TITLE,
                    review="cleared",
                    notice="未经授权，禁止转载",
                    rule="zh.reprint.prohibited",
                ),
                # 2: generic copyright with conflicting signals, undecided -> open conflict.
                article(
                    2,
                    "alpha",
                    "permission_required",
                    seen=at(3),
                    conflict=True,
                    notice="© 2026 Alpha. All rights reserved.",
                    rule="generic.copyright",
                ),
                # 3: reuse with attribution but the link is missing -> exception.
                article(
                    3,
                    "alpha",
                    "attribution_required",
                    seen=at(4),
                    review="reuse_with_attribution",
                    link="missing",
                    notice="Reprints must credit Alpha.",
                    rule="en.reprint.with_credit",
                ),
                article(4, "beta", "open_license", seen=at(10)),
                article(5, "beta", "prohibited", seen=at(11), relevant=False),
                # 6: prohibited and cleared, but Beta News holds a grant -> no exception.
                article(
                    6,
                    "beta",
                    "prohibited",
                    seen=at(12),
                    review="cleared",
                    site="Beta News",
                    notice="Reproduction is not allowed without permission.",
                    rule="en.reprint.prohibited",
                ),
                article(7, "beta", None, seen=at(31, hour=23)),
                # Outside the period (September).
                article(8, "alpha", "prohibited", seen=at(20, month=9)),
            ]
        )
        session.flush()
        session.add_all(
            [
                Snapshot(
                    article_id=1,
                    url="https://alpha.example/news/1.html",
                    html_gz=b"",
                    sha256="0" * 64,
                    fetched_at=at(1),
                ),
                Snapshot(
                    article_id=1,
                    url="https://alpha.example/news/1.html",
                    html_gz=b"",
                    sha256=SNAPSHOT_SHA,
                    fetched_at=at(2),
                ),
                decide(1, at(5), "pending", "cleared"),
                decide(3, at(6), "pending", "permission_requested"),
                decide(3, at(7), "permission_requested", "reuse_with_attribution"),
                decide(6, at(13), "pending", "cleared"),
                decide(8, at(25, month=9), "pending", "do_not_reuse"),  # before the period
                Grant(
                    id=1,
                    publisher="Beta News",
                    scope="all",
                    valid_from=at(1, 1),
                    valid_to=datetime(2027, 6, 1, tzinfo=UTC),
                ),
                Grant(
                    id=2,
                    publisher="Alpha",
                    scope="article",
                    valid_from=at(1, 1),
                    article_url="https://alpha.example/news/2.html",
                    valid_to=at(20, 11),
                ),
                Grant(id=3, publisher="Gamma", scope="all", valid_from=at(1, 1), valid_to=at(10)),
            ]
        )
        session.flush()
        session.add_all(
            [
                GateDecision(
                    decided_at=at(6),
                    article_url="https://alpha.example/news/1.html",
                    article_id=1,
                    draft_sha256="d" * 64,
                    outcome="pass",
                ),
                GateDecision(
                    decided_at=at(20),
                    article_url="https://beta.example/news/4.html",
                    article_id=4,
                    draft_sha256="d" * 64,
                    outcome="pass",
                    grant_id=3,
                ),
                GateDecision(
                    decided_at=at(21),
                    article_url="https://alpha.example/news/2.html",
                    article_id=2,
                    draft_sha256="d" * 64,
                    outcome="fail",
                ),
            ]
        )


@pytest.fixture
def known_db(db: Database) -> Database:
    populate_known(db)
    return db


@pytest.fixture
def known_sqlite(sqlite_db: Database) -> Database:
    populate_known(sqlite_db)
    return sqlite_db


def october(db: Database, **kwargs: Any):  # type: ignore[no-untyped-def]
    return build_report(db, SINCE, UNTIL, now=NOW, **kwargs)


def test_numbers_match_the_known_data(known_db: Database) -> None:
    report = october(known_db)
    totals = report.totals
    assert (totals["articles"], totals["relevant"]) == (7, 6)
    assert totals["by_status"] == {
        "prohibited": 2,
        "permission_required": 1,
        "attribution_required": 1,
        "open_license": 1,
        "public_domain": 0,
        "unknown": 0,
        "not_checked": 1,
    }
    # Flagged: 1, 2, 3, 6 (5 is not relevant); decided among them: 1, 3, 6.
    assert (totals["flagged"], totals["reviewed"], totals["pending_review"]) == (4, 3, 1)
    assert (totals["conflicts"], totals["open_conflicts"]) == (1, 1)
    assert totals["by_attribution_link"]["missing"] == 1
    assert list(report.by_source) == ["alpha", "beta"]
    assert (report.by_source["alpha"]["articles"], report.by_source["alpha"]["relevant"]) == (3, 3)
    assert report.by_source["beta"]["articles"] == 4
    assert report.by_source["beta"]["by_status"]["prohibited"] == 1  # article 5 is not relevant

    assert report.decisions["total"] == 4  # the September decision is outside
    assert report.decisions["by_outcome"]["cleared"] == 2
    assert report.decisions["by_outcome"]["reuse_with_attribution"] == 1
    assert report.reuse_gate == {"total": 3, "by_outcome": {"pass": 2, "fail": 1}, "with_grant": 1}
    # As of 1 November: grants 1 and 2 are in force, 2 ends within 30 days, 3 has expired.
    assert (report.grants["active"], report.grants["expiring_soon"]) == (2, 1)
    assert [g["id"] for g in report.grants["list"]] == [2, 1]

    kinds = [(e["kind"], e["article_id"]) for e in report.exceptions]
    assert kinds == [
        ("cleared_against_rights", 1),
        ("reused_against_rights", 1),
        ("reused_without_attribution_link", 3),
        ("grant_used_after_expiry", 4),
    ]
    # Restricted relevant items (1, 2, 6) plus articles named in exceptions (3, 4), newest first.
    assert [item["id"] for item in report.items] == [6, 4, 3, 2, 1]
    first = next(item for item in report.items if item["id"] == 1)
    assert first["snapshot_sha256"] == SNAPSHOT_SHA
    assert first["rule_ids"] == ["origin.source_line", "zh.reprint.prohibited"]
    assert [n["text"] for n in first["notices"]] == ["未经授权，禁止转载"]
    assert [(d["from"], d["to"]) for d in first["decisions"]] == [("pending", "cleared")]
    assert first["exceptions"] == ["cleared_against_rights", "reused_against_rights"]
    assert report.period == {
        "since": "2026-10-01T00:00:00+00:00",
        "until": "2026-11-01T00:00:00+00:00",
    }


def test_source_filter_and_unknown_source(known_db: Database) -> None:
    report = october(known_db, sources=["beta"])
    assert report.filters == {"sources": ["beta"]}
    assert (report.totals["articles"], report.totals["relevant"]) == (4, 3)
    assert list(report.by_source) == ["beta"]
    assert report.decisions["total"] == 1
    assert [e["kind"] for e in report.exceptions] == ["grant_used_after_expiry"]
    with pytest.raises(ReportError, match="unknown source nowhere"):
        october(known_db, sources=["nowhere"])


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-13-01", None, "since: cannot read"),
        ("last week", None, "since: cannot read"),
        ("2026-10-10", "2026-10-01", "before since"),
    ],
)
def test_bad_periods_are_refused(
    sqlite_db: Database, since: str, until: str | None, message: str
) -> None:
    with pytest.raises(ReportError, match=message):
        build_report(sqlite_db, since, until, now=NOW)


def test_empty_period_gives_an_empty_report_in_every_format(known_sqlite: Database) -> None:
    report = build_report(known_sqlite, "2025-01-01", "2025-01-31", now=NOW)
    assert report.is_empty
    assert report.totals["articles"] == 0 and report.items == [] and report.exceptions == []
    assert len(report.trend["points"]) == 31 and report.trend["bucket"] == "day"
    html = render(report, "html").decode()
    assert 'id="empty"' in html
    rows = list(csv.reader(io.StringIO(render(report, "csv").decode())))
    assert len(rows) == 1 and rows[0][0] == "id"  # the header alone
    assert json.loads(render(report, "json"))["items"] == []
    assert render(report, "pdf").startswith(b"%PDF-")


def _html_number(html: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)', html)
    assert match, element_id
    return int(match.group(1))


def test_html_csv_and_json_agree(known_sqlite: Database) -> None:
    report = october(known_sqlite)
    html = render(report, "html").decode()
    data = json.loads(render(report, "json"))
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode())))

    assert _html_number(html, "total-articles") == data["totals"]["articles"] == 7
    assert _html_number(html, "total-relevant") == data["totals"]["relevant"]
    assert _html_number(html, "total-open-conflicts") == data["totals"]["open_conflicts"]
    for status, count in data["totals"]["by_status"].items():
        assert re.search(rf'id="status-{status}">.*?<td class="n">{count}</td>', html)
    html_items = [int(n) for n in re.findall(r'<article class="item" id="item-(\d+)"', html)]
    assert html_items == [item["id"] for item in data["items"]] == [int(r["id"]) for r in rows]
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[1]["snapshot_sha256"] == SNAPSHOT_SHA and SNAPSHOT_SHA in html
    assert by_id[1]["title"] == CJK_TITLE and CJK_TITLE in html
    assert by_id[1]["exceptions"] == "cleared_against_rights; reused_against_rights"
    assert by_id[3]["decisions"].count("->") == 2
    for kind in ("cleared_against_rights", "grant_used_after_expiry"):
        assert _html_number(html, f"exception-count-{kind}") == 1
    # Self-contained: no scripts, stylesheets, images or fonts fetched from anywhere.
    assert "<svg" in html and "<polyline" in html
    assert not re.search(r"<script|<link|<img|src=|url\(", html)
    # Provenance is stated.
    assert "sqlite:///" in html and "test-1" in html and "2026-11-20 09:00 UTC" in html


def test_same_inputs_give_the_same_report(known_db: Database) -> None:
    assert render(october(known_db), "json") == render(october(known_db), "json")


def test_pdf_is_a_paginated_pdf_holding_the_figures(known_sqlite: Database, tmp_path: Path) -> None:
    pdf = render(october(known_sqlite), "pdf")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Articles collected \(all\)\s+7\b", text)
    assert re.search(r"Relevant articles\s+6\b", text)
    assert re.search(r"Open rights conflicts\s+1\b", text)
    assert "Page 1 of" in text
    assert CJK_TITLE in text and "未经授权，禁止转载" in text  # CJK glyphs really rendered
    assert SNAPSHOT_SHA[:32] in text.replace("\n", "")


def test_charts_escape_labels() -> None:
    from brwatch.reports.charts import bar_chart, line_chart

    svg = bar_chart([("<script>x</script>", 3)], "t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "No data" in line_chart([], {"a": []}, "t")


def test_cli_report_formats_and_bad_input(known_sqlite: Database, brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = known_sqlite.url
    result = brwatch("report", "--since", SINCE, "--until", UNTIL, "--format", "json", db=url)
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["totals"]["relevant"] == 6

    out = tmp_path / "r.pdf"
    result = brwatch(
        "report",
        "--since",
        SINCE,
        "--until",
        UNTIL,
        "--source",
        "alpha",
        "--format",
        "pdf",
        "-o",
        str(out),
        db=url,
    )
    assert result.returncode == 0, result
    assert out.read_bytes().startswith(b"%PDF-") and "wrote" in result.stderr

    for args, message in [
        (("--since", "yesterday"), "cannot read 'yesterday'"),
        (("--since", "2026-10-10", "--until", "2026-10-01"), "before since"),
        (("--source", "nowhere"), "unknown source nowhere"),
    ]:
        result = brwatch("report", *args, db=url)
        assert result.returncode == 2, result
        assert message in " ".join(result.stderr.split()), result


def test_item_limit_and_caps_are_stated(known_sqlite: Database) -> None:
    from brwatch.reports.htmlpage import Layout, render_html

    report = october(known_sqlite, item_limit=2)
    assert [item["id"] for item in report.items] == [6, 4] and report.items_total == 5
    assert len(report.exceptions) == 4  # exceptions are never limited
    html = render(report, "html").decode()
    assert _html_number(html, "total-items") == 5
    assert "3 more items are in the CSV and JSON formats" in html
    capped = render_html(october(known_sqlite), Layout("pdf", item_cap=1, exception_cap=2))
    assert "Exceptions: the first 2 of 4 are listed." in capped
    assert "Item details: the newest 1 of 5 are shown." in capped
    assert len(re.findall(r'<tr class="exception">', capped)) == 2


def test_json_follows_the_published_schema(known_sqlite: Database) -> None:
    import jsonschema

    import brwatch.reports

    schema_path = Path(brwatch.reports.__file__).parent / "report.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for report in (october(known_sqlite), build_report(known_sqlite, "2025-01-01", "2025-01-02")):
        jsonschema.validate(json.loads(render(report, "json")), schema)
    broken = json.loads(render(october(known_sqlite), "json"))
    del broken["totals"]["by_status"]["prohibited"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_sources_file_names_count_and_trend_buckets(known_sqlite: Database, tmp_path: Path) -> None:
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(
        "sources:\n  - name: gamma\n    start_urls: [https://gamma.example/news/]\n",
        encoding="utf-8",
    )
    # Listed in the sources file but never crawled: a valid filter with zero counts.
    report = october(known_sqlite, sources=["gamma", "alpha"], sources_file=str(sources_file))
    assert list(report.by_source) == ["alpha", "gamma"]
    assert report.by_source["gamma"]["articles"] == 0 and report.totals["articles"] == 3

    longer = build_report(known_sqlite, "2026-08-01", "2026-10-31", now=NOW)
    assert longer.trend["bucket"] == "week"
    starts = [date.fromisoformat(p["start"]) for p in longer.trend["points"]]
    assert starts[0] == date(2026, 7, 27) and all(start.weekday() == 0 for start in starts)
    assert sum(p["articles"] for p in longer.trend["points"]) == longer.totals["articles"] == 8
    with known_sqlite.session() as session:
        session.add(article(9, "beta", "prohibited", seen=datetime(2024, 8, 1, tzinfo=UTC)))
    years = build_report(known_sqlite, "2024-07-01", "2026-10-31", now=NOW)
    assert years.trend["bucket"] == "month" and years.trend["points"][0]["start"] == "2024-07-01"
    assert sum(p["restricted"] for p in years.trend["points"]) == 5  # 1, 2, 6, 8 and 9
    # Decades before the first article are not charted.
    ancient = build_report(known_sqlite, "1990-01-01", "2026-10-31", now=NOW)
    assert ancient.trend["points"][0]["start"] == "2024-08-01"


def test_only_web_addresses_become_links(known_sqlite: Database) -> None:
    with known_sqlite.session() as session:
        session.add(
            GateDecision(
                decided_at=at(22),
                article_url="javascript:alert(1)",
                article_id=None,
                draft_sha256="d" * 64,
                outcome="pass",
                grant_id=3,
            )
        )
    report = october(known_sqlite)
    assert any(e["url"] == "javascript:alert(1)" for e in report.exceptions)
    html = render(report, "html").decode()
    assert 'href="javascript' not in html and "javascript:alert(1)" in html
    assert '<a href="https://alpha.example/news/1.html">' in html
