"""`brwatch sources` through the real CLI: listing, JSON, refusing a bad file, probing entry points
served on loopback."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.sites import Page


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unwrapped(text: str) -> str:
    """The console wraps long lines at the terminal width; compare text, not layout."""
    return " ".join(text.split())


def test_lists_the_bundled_sources(brwatch) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("sources")
    assert result.returncode == 0, result
    assert "seetao" in result.stdout and "xinhua-en" in result.stdout
    assert "sources.yaml" in result.stdout


def test_json_lists_one_source_per_line_with_its_trigger(brwatch) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("sources", "--json")
    assert result.returncode == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {row["name"]: row for row in rows}
    assert len(rows) >= 20
    assert by_name["seetao"]["start_urls"] == ["https://www.seetao.com/list/220.html"]
    assert by_name["seetao"]["trigger"] == {
        "kind": "cron",
        "value": {"minute": "*/30", "hour": "*", "day": "*", "month": "*", "day_of_week": "*"},
    }
    assert by_name["xinhua-fr"]["trigger"] == {"kind": "interval", "value": 21600}


def test_a_bad_file_exits_2_listing_every_problem(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sources:\n"
        "  - name: xinhua-en\n"
        "    start_urls: [https://english.news.cn/list/latestnews.htm]\n"
        "    allow: ['(oops']\n"
        "  - name: other\n"
        "    schedule: sometimes\n"
        "    feeds: [https://example.org/rss.xml]\n",
        encoding="utf-8",
    )
    for args, env in (
        (("--sources", str(bad), "sources"), None),
        (("sources", "--check"), {"BRWATCH_SOURCES": str(bad)}),
    ):
        result = brwatch(*args, env=env)
        assert result.returncode == 2, result
        stderr = unwrapped(result.stderr)
        assert "bad.yaml: 2 problems, nothing done" in stderr
        assert "bad.yaml:4: source 'xinhua-en' (#1): allow[0]: invalid regex" in stderr
        assert "bad.yaml:6: source 'other' (#2): schedule: bad schedule 'sometimes'" in stderr
        assert "checking" not in result.stdout


def test_an_unknown_source_name_is_refused(brwatch) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("sources", "--source", "no-such-site")
    assert result.returncode == 2
    assert "no source named 'no-such-site'" in unwrapped(result.stderr)


def test_check_reports_ok_http_errors_and_unreachable(  # type: ignore[no-untyped-def]
    brwatch, serve_site, tmp_path: Path
) -> None:
    site = serve_site(
        "127.0.0.2",
        {
            "/list.html": Page("<html><body>list</body></html>"),
            "/rss.xml": Page("<rss/>", headers={"Content-Type": "application/rss+xml"}),
            "/old": Page("", status=301, headers={"Location": "/list.html"}),
        },
    )
    dead = f"http://127.0.0.1:{closed_port()}/robots.txt"
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: local\n"
        f"    start_urls: [{site.url('/list.html')}, {site.url('/old')}]\n"
        f"    feeds: [{site.url('/rss.xml')}]\n"
        f"    sitemaps: [{site.url('/missing-sitemap.xml')}]\n"
        "  - name: gone\n"
        f"    sitemaps: [{dead}]\n",
        encoding="utf-8",
    )
    result = brwatch("--sources", str(sources), "sources", "--check", "--json", "--timeout", "3")
    assert result.returncode == 1, result  # some entry points do not answer
    rows = {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows[site.url("/list.html")]["outcome"] == "ok"
    assert rows[site.url("/list.html")]["kind"] == "start_url"
    assert rows[site.url("/old")]["outcome"] == "ok"
    assert rows[site.url("/old")]["final_url"] == site.url("/list.html")
    assert rows[site.url("/rss.xml")] | {"detail": None} == {
        "source": "local",
        "kind": "feed",
        "url": site.url("/rss.xml"),
        "outcome": "ok",
        "status": 200,
        "final_url": site.url("/rss.xml"),
        "detail": None,
    }
    assert rows[site.url("/rss.xml")]["detail"].startswith("application/rss+xml")
    assert rows[site.url("/missing-sitemap.xml")]["outcome"] == "http_error"
    assert rows[site.url("/missing-sitemap.xml")]["status"] == 404
    assert rows[dead]["outcome"] == "unreachable" and rows[dead]["source"] == "gone"
    assert rows[dead]["detail"].startswith("connect")
    assert sorted(site.paths_requested()) == [
        "/list.html",
        "/list.html",
        "/missing-sitemap.xml",
        "/old",
        "/rss.xml",
    ]

    table = brwatch("--sources", str(sources), "sources", "--check", "--source", "local")
    assert table.returncode == 1
    assert "3 of 4 entry points answered" in table.stdout
    assert "HTTP 404" in table.stdout

    only_ok = brwatch(
        "--sources", str(sources), "sources", "--check", "--source", "local", "--json"
    )
    assert only_ok.returncode == 1
    sources.write_text(
        f"sources:\n  - name: local\n    feeds: [{site.url('/rss.xml')}]\n", encoding="utf-8"
    )
    all_ok = brwatch("--sources", str(sources), "sources", "--check")
    assert all_ok.returncode == 0, all_ok
    assert "1 of 1 entry points answered" in all_ok.stdout
