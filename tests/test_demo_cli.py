"""`brwatch demo` end to end through the CLI: sample sites served, the real crawl run, articles
stored with relevance and rights verdicts; and `--serve-only` for crawling by hand."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from brwatch.sources import load_sources


def test_demo_crawls_the_sample_sites_into_a_fresh_database(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("demo", cwd=tmp_path, env={"BRWATCH_DB_URL": "sqlite:///must-not-be-used.db"})
    assert result.returncode == 0, result
    database = tmp_path / "brwatch-demo" / "demo.db"
    assert database.is_file()
    assert not (tmp_path / "must-not-be-used.db").exists()  # the demo never touches your database
    db_url = "sqlite:///brwatch-demo/demo.db"
    printed_url = f"sqlite:///{database.resolve()}"  # the hints work from any directory
    out = " ".join(result.stdout.split())
    assert "12 articles stored, 11 about the Belt and Road" in out
    assert "attribution links of articles crediting an origin:" in out
    assert "2 reprints recognised" in out
    assert "reprint: demo-reprint-en «Rail freight on Belt and Road corridor doubles" in out
    assert f"brwatch --db {printed_url} export --json" in out
    assert f"brwatch --db {printed_url} serve" in out

    exported = brwatch("--db", db_url, "export", "--json", "--all", cwd=tmp_path)
    assert exported.returncode == 0, exported
    articles = {
        (row["source"], urlsplit(row["url"]).path): row
        for row in map(json.loads, exported.stdout.splitlines())
    }

    def article(source: str, path: str) -> dict:  # type: ignore[type-arg]
        return articles[(f"demo-{source}", path)]

    assert len(articles) == 12
    # robots.txt keeps the crawl out of the Russian site's /private/ page its sitemap lists
    assert all(not path.startswith("/private/") for _, path in articles)

    # relevance: every story but the football final
    football = article("wire-en", "/2026/11/26/cup-final.html")
    assert football["relevant"] is False
    assert sum(row["relevant"] for row in articles.values()) == 11

    # the GBK page without any charset is decoded right
    gbk = article("silkroad-daily", "/news/2026/11/27/port-cooperation.html")
    assert gbk["title"].startswith("海上丝绸之路港口合作论坛在示例港举行")
    assert gbk["lang"] == "zh" and gbk["relevant"] is True

    # rights verdicts, one of each kind of notice
    def status(source: str, path: str) -> str:
        return article(source, path)["rights"]["status"]

    assert status("silkroad-daily", "/news/2026/11/28/railway-corridor.html") == "prohibited"
    assert gbk["rights"]["status"] == "attribution_required"
    assert status("novosti-ru", "/news/2026/11/28/koridor.html") == "prohibited"
    assert status("wire-en", "/2026/11/27/rail-freight.html") == "permission_required"
    assert status("akhbar-ar", "/news/2026-11-28-corridor.html") == "permission_required"
    cc_by = article("wire-en", "/2026/11/28/forum-open-data.html")["rights"]
    assert (cc_by["status"], cc_by["license"]) == ("open_license", "CC-BY-4.0")
    cc_by_sa = article("noticias-es", "/2026/11/27/puerto.html")["rights"]
    assert (cc_by_sa["status"], cc_by_sa["license"]) == ("open_license", "CC-BY-SA-4.0")

    # origin claims "来源：新华社" without a link, and with one to another publisher's page
    unlinked = article("silkroad-daily", "/news/2026/11/25/trade-expo.html")
    linked = article("silkroad-daily", "/news/2026/11/26/green-energy.html")
    assert unlinked["rights"]["origin"] == linked["rights"]["origin"] == "新华社"
    assert unlinked["attribution"]["link"] == "missing"
    assert linked["attribution"]["link"] == "wrong_target"
    assert (
        urlsplit(linked["attribution"]["link_url"]).path == "/about.html"
    )  # another publisher's page

    # the English reprint credits Silk Wire with a working link to the original
    reprint = article("reprint-en", "/news/rail-freight-doubles.html")
    assert reprint["rights"]["origin"] == "Silk Wire"
    assert reprint["attribution"]["link"] == "ok"
    original = article("wire-en", "/2026/11/27/rail-freight.html")
    assert reprint["attribution"]["link_url"] == original["url"]

    # provenance: both reprints point at their originals, whose rights they carry
    assert reprint["reprint_of"] == original["url"]
    assert reprint["rights"]["status"] == original["rights"]["status"] == "permission_required"
    assert linked["reprint_of"] == article("wire-zh", "/2026/11/26/green-energy.html")["url"]
    assert original["reprint_of"] is None

    runs = brwatch("--db", db_url, "runs", "--json", cwd=tmp_path)
    assert runs.returncode == 0, runs
    finished = [json.loads(line) for line in runs.stdout.splitlines()]
    assert {run["source"] for run in finished} == {source for source, _ in articles}
    assert all(run["status"] == "ok" for run in finished)


def test_serve_only_keeps_the_sites_up_until_interrupted(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "brwatch.cli", "demo", "--serve-only", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "press Ctrl-C to stop" in line:
                break
        assert any("crawl them with" in line for line in lines), lines
        sources = load_sources(tmp_path / "demo-sources.yaml")
        assert len(sources) == 7
        for source in sources:
            for _kind, url in source.entry_points:
                assert httpx.get(url).status_code == 200, url
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert not (tmp_path / "demo.db").exists()  # nothing crawled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bad_demo_directory_or_database_fails_clearly_before_serving(  # type: ignore[no-untyped-def]
    brwatch, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    result = brwatch("demo", "--dir", str(not_a_dir))
    assert result.returncode == 2
    assert "cannot run the demo" in result.stderr and "sample sites" not in result.stdout

    result = brwatch("--db", "nosuchdb://x", "demo", "--dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "cannot use database nosuchdb://x" in " ".join(result.stderr.split())
    assert "sample sites" not in result.stdout
