"""`brwatch check`, `brwatch rules` and `brwatch recheck`, run as the real CLI."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brwatch.rights import ruleset_version
from brwatch.rights.recheck import recheck_articles
from brwatch.storage.models import Article, Snapshot
from tests.sites import Page

PROHIBITED_PAGE = (
    "<html><head><title>丝路新闻</title></head><body><article><p>正文。</p></article>"
    "<footer><p>版权所有 未经授权禁止转载</p></footer></body></html>"
)
OPEN_PAGE = (
    '<html><head><title>Open</title><link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    "</head><body><p>Story.</p></body></html>"
)


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_check_files_stdin_and_an_unreadable_target(brwatch, tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(PROHIBITED_PAGE, encoding="utf-8")
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(OPEN_PAGE.encode()))
    result = brwatch(
        "check", "--json", "a.html", "missing.html", "b.html.gz", "-", input=PROHIBITED_PAGE
    )
    assert result.returncode == 1, result
    first, missing, second, stdin = _lines(result.stdout)
    assert first["target"] == "a.html" and first["rights"]["status"] == "prohibited"
    assert first["article"]["title"] == "丝路新闻"
    assert set(first["article"]) == {"title", "published", "lang", "authors", "canonical_url"}
    assert first["rights"]["ruleset"] == ruleset_version()
    assert missing["target"] == "missing.html" and "cannot read file" in missing["error"]
    assert (
        second["rights"]["status"] == "open_license" and second["rights"]["license"] == "CC-BY-4.0"
    )
    assert stdin["target"] == "-" and stdin["rights"]["status"] == "prohibited"


def test_check_summary_highlights_evidence(brwatch, tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(PROHIBITED_PAGE, encoding="utf-8")
    result = brwatch("check", "a.html", env={"COLUMNS": "200"})
    assert result.returncode == 0, result
    assert "status: prohibited" in result.stdout
    assert "未经授权禁止转载" in result.stdout and "zh-prohibit-unauthorised" in result.stdout


def test_check_url_goes_through_the_safe_fetcher(brwatch, serve_site) -> None:
    site = serve_site(
        "127.0.0.2",
        {"/a": Page(OPEN_PAGE, headers={"Content-Type": "text/html", "X-Robots-Tag": "noarchive"})},
    )
    refused = brwatch("check", "--json", site.url("/a"))
    assert refused.returncode == 1
    assert "error" in _lines(refused.stdout)[0]
    allowed = brwatch(
        "check", "--json", site.url("/a"), env={"BRWATCH_ALLOWED_NETWORKS": "127.0.0.0/8"}
    )
    assert allowed.returncode == 0, allowed
    result = _lines(allowed.stdout)[0]
    assert result["url"] == site.url("/a")
    assert result["rights"]["status"] == "open_license"
    assert "no_archive" in result["rights"]["obligations"]


def test_rules_test_and_list(brwatch) -> None:
    result = brwatch("rules", "test")
    assert result.returncode == 0, result
    assert "examples: ok" in result.stdout
    listing = _lines(brwatch("rules", "list", "--json").stdout)
    assert any(rule["id"] == "zh-prohibit-unauthorised" for rule in listing)


def test_rules_test_fails_on_a_broken_rule(brwatch, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "- id: demo-rule\n  title: Demo rule\n  languages: [en]\n  status: prohibited\n"
        "  patterns: ['do not copy']\n  examples: [{text: please copy}]\n",
        encoding="utf-8",
    )
    failing = brwatch("rules", "test", "--dir", str(rules))
    assert failing.returncode == 1 and "demo-rule" in failing.stdout
    (rules / "x.yaml").write_text("- id: demo-rule\n  title: [", encoding="utf-8")
    broken = brwatch("rules", "test", "--dir", str(rules))
    assert broken.returncode == 2 and "x.yaml" in broken.stderr


def test_rules_test_names_the_patterns_the_prefilter_cannot_screen(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    # "©" and "RT" are shorter than the three bytes the prefilter needs; "reproduction" is not.
    (rules / "x.yaml").write_text(
        "- id: screened\n  title: Screened\n  languages: [en]\n  status: prohibited\n"
        "  patterns: ['reproduction\\s+prohibited']\n"
        "  examples: [{text: reproduction prohibited}]\n"
        "- id: unscreened\n  title: Unscreened\n  languages: [en]\n  status: prohibited\n"
        "  patterns: ['reprint\\s+banned', '(?:©|RT)\\s*\\d{4}']\n"
        "  examples: [{text: reprint banned}, {text: © 2024}]\n",
        encoding="utf-8",
    )
    result = brwatch("rules", "test", "--dir", str(rules), env={"COLUMNS": "200"})
    assert result.returncode == 0, result
    assert "1 patterns run over every page" in result.stdout
    assert "unscreened, pattern 2" in result.stdout
    assert "screened, pattern" not in result.stdout.replace("unscreened, pattern", "")


def _store(db, url: str, html: str, ruleset: str | None) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        article = Article(
            canonical_url=url,
            url=url,
            source="test",
            text="正文。",
            rights_status="unknown",
            ruleset=ruleset,
        )
        now = datetime.now(UTC)
        old = gzip.compress(b"<html><body><p>old</p></body></html>")
        article.snapshots = [
            Snapshot(url=url, html_gz=old, sha256="0" * 64, fetched_at=now - timedelta(days=1)),
            Snapshot(
                url=url, html_gz=gzip.compress(html.encode()), sha256="1" * 64, fetched_at=now
            ),
        ]
        session.add(article)
        session.flush()
        return article.id


def test_recheck_updates_outdated_verdicts_from_the_newest_snapshot(db) -> None:
    stale = _store(db, "https://example.org/stale", PROHIBITED_PAGE, "old-rules")
    current = _store(db, "https://example.org/current", PROHIBITED_PAGE, ruleset_version())
    summary = recheck_articles(db)
    assert (summary.checked, summary.changed, summary.errors) == (1, 1, [])
    with db.session() as session:
        updated = session.get(Article, stale)
        assert updated.rights_status == "prohibited"
        assert updated.ruleset == ruleset_version()
        assert updated.rights["status"] == "prohibited"
        assert session.get(Article, current).rights_status == "unknown"
    assert recheck_articles(db).checked == 0


def test_recheck_cli_reports_broken_snapshots(brwatch, db_url: str, db) -> None:
    _store(db, "https://example.org/a", PROHIBITED_PAGE, None)
    with db.session() as session:
        broken = Snapshot(url="https://example.org/b", html_gz=b"not gzip", sha256="2" * 64)
        url = "https://example.org/b"
        session.add(Article(canonical_url=url, url=url, source="t", snapshots=[broken]))
    result = brwatch("recheck", "--json", db=db_url)
    assert result.returncode == 1, result
    summary = _lines(result.stdout)[0]
    assert summary["checked"] == 1 and len(summary["errors"]) == 1
    assert "example.org/b" in summary["errors"][0]
