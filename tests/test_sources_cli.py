"""`brwatch sources` through the real CLI: listing, JSON, refusing a bad file, probing entry points
served on loopback."""

from __future__ import annotations

import email.utils
import json
import socket
from datetime import UTC, datetime
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


FRESH_RSS = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
    "<item><pubDate>{date}</pubDate></item></channel></rss>"
)


def test_check_reports_every_kind_of_outcome(  # type: ignore[no-untyped-def]
    brwatch, serve_site, tmp_path: Path
) -> None:
    now = email.utils.format_datetime(datetime.now(UTC))
    xml = {"Content-Type": "application/rss+xml"}
    site = serve_site(
        "127.0.0.2",
        {
            "/list.html": Page("<html><body>list</body></html>"),
            "/rss.xml": Page(FRESH_RSS.format(date=now), headers=xml),
            "/frozen.xml": Page(
                FRESH_RSS.format(date="Fri, 05 Jan 2018 10:00:00 GMT"), headers=xml
            ),
            "/html-feed.xml": Page("<!DOCTYPE html><html><body>moved</body></html>"),
            "/robots.txt": Page(
                "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\nSitemap: /s.xml\n",
                headers={"Content-Type": "text/plain"},
            ),
            "/old": Page("", status=301, headers={"Location": "/list.html"}),
        },
    )
    dead = f"http://127.0.0.1:{closed_port()}/robots.txt"
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: local\n"
        f"    start_urls: [{site.url('/list.html')}, {site.url('/old')},"
        f" {site.url('/private/list.html')}]\n"
        f"    feeds: [{site.url('/rss.xml')}, {site.url('/frozen.xml')},"
        f" {site.url('/html-feed.xml')}]\n"
        f"    sitemaps: [{site.url('/robots.txt')}, {site.url('/missing-sitemap.xml')}]\n"
        "  - name: gone\n"
        f"    sitemaps: [{dead}]\n",
        encoding="utf-8",
    )
    result = brwatch("--sources", str(sources), "sources", "--check", "--json", "--timeout", "3")
    assert result.returncode == 1, result  # some entry points do not answer as expected
    rows = {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert len(rows) == 9

    def outcome(path: str) -> tuple[str, str]:
        row = rows[site.url(path)]
        return row["outcome"], row["detail"]

    assert rows[site.url("/list.html")] == {
        "source": "local",
        "kind": "start_url",
        "url": site.url("/list.html"),
        "outcome": "ok",
        "status": 200,
        "final_url": site.url("/list.html"),
        "detail": "text/html; charset=utf-8",
        "crawl_delay": 3.0,
    }
    assert outcome("/private/list.html") == (
        "robots_disallowed",
        "robots.txt disallows it for brwatch",
    )
    assert rows[site.url("/old")]["outcome"] == "ok"
    assert rows[site.url("/old")]["final_url"] == site.url("/list.html")
    assert outcome("/rss.xml")[0] == "ok" and outcome("/rss.xml")[1].startswith("feed, newest item")
    assert outcome("/frozen.xml")[0] == "stale"
    assert outcome("/frozen.xml")[1].startswith("newest item 2018-01-05")
    assert outcome("/html-feed.xml") == ("wrong_content", "answers an HTML page, not a feed")
    assert outcome("/robots.txt") == ("ok", "robots.txt lists 1 sitemap")
    assert outcome("/missing-sitemap.xml") == ("http_error", "HTTP 404")
    assert rows[site.url("/missing-sitemap.xml")]["status"] == 404
    assert rows[dead]["outcome"] == "unreachable" and rows[dead]["source"] == "gone"
    assert rows[dead]["detail"].startswith("connect")
    assert sorted(site.paths_requested()) == sorted(
        [
            "/list.html",
            "/list.html",
            "/old",
            "/rss.xml",
            "/frozen.xml",
            "/html-feed.xml",
            "/robots.txt",
            "/robots.txt",
            "/missing-sitemap.xml",
        ]
    )

    wide = {"COLUMNS": "300"}  # one table row per line
    table = brwatch("--sources", str(sources), "sources", "--check", "--source", "local", env=wide)
    assert table.returncode == 1
    text = unwrapped(table.stdout)
    assert "4 of 8 entry points answered with what was expected" in text
    assert "robots.txt disallows it for brwatch" in text
    assert "ok 200 (robots.txt Crawl-delay 3s)" in text
    assert "HTTP 404" in text and "stale: newest item 2018-01-05" in text
    assert "wrong content: answers an HTML page, not a feed" in text

    # a generous staleness threshold accepts the 2018 feed: everything answers, exit 0
    sources.write_text(
        "sources:\n  - name: local\n"
        f"    feeds: [{site.url('/rss.xml')}, {site.url('/frozen.xml')}]\n",
        encoding="utf-8",
    )
    all_ok = brwatch("--sources", str(sources), "sources", "--check", "--stale-days", "5000")
    assert all_ok.returncode == 0, all_ok
    assert "2 of 2 entry points answered" in unwrapped(all_ok.stdout)
