"""Judging what a feed or sitemap entry point serves: the right document, and fresh items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brwatch.sources.contents import judge_contents, newest_date

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MONTH = timedelta(days=30)

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>x</title>
<item><title>a</title><pubDate>Fri, 27 Nov 2026 06:30:00 GMT</pubDate></item>
<item><title>b</title><pubDate>Sat, 28 Nov 2026 08:00:00 +0800</pubDate></item>
</channel></rss>"""
ATOM_2018 = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><updated>2018-01-05T10:00:00Z</updated></entry></feed>"""
NEWS_SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://example.org/a</loc><news:news>
<news:publication_date>2026-11-28T09:30:00+08:00</news:publication_date></news:news></url>
</urlset>"""


def test_a_fresh_feed_is_ok_with_its_newest_item() -> None:
    outcome, detail = judge_contents("feed", "https://x/rss.xml", RSS, MONTH, NOW)
    assert outcome == "ok"
    assert detail == "feed, newest item 2026-11-28 00:00 UTC"  # +0800 converted to UTC


def test_a_frozen_feed_is_stale() -> None:
    outcome, detail = judge_contents("feed", "https://x/atom.xml", ATOM_2018, MONTH, NOW)
    assert outcome == "stale"
    assert detail.startswith("newest item 2018-01-05")


def test_an_html_page_instead_of_a_feed_is_wrong_content() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>China.org.cn</title></head></html>"
    assert judge_contents("feed", "http://x/rss/1.xml", page, MONTH, NOW) == (
        "wrong_content",
        "answers an HTML page, not a feed",
    )
    assert judge_contents("feed", "http://x/rss/1.xml", b"just text", MONTH, NOW)[0] == (
        "wrong_content"
    )


def test_news_sitemaps_and_robots_txt() -> None:
    assert judge_contents("sitemap", "https://x/sitemap.xml", NEWS_SITEMAP, MONTH, NOW)[0] == "ok"
    robots = (
        b"User-agent: *\nDisallow: /search\nSitemap: https://x/a.xml\nsitemap: https://x/b.xml\n"
    )
    assert judge_contents("sitemap", "https://x/robots.txt", robots, MONTH, NOW) == (
        "ok",
        "robots.txt lists 2 sitemaps",
    )
    bare = b"User-agent: *\nDisallow:\n"
    assert judge_contents("sitemap", "https://x/robots.txt", bare, MONTH, NOW) == (
        "wrong_content",
        "robots.txt lists no Sitemap",
    )
    assert judge_contents("sitemap", "https://x/sitemap.xml", RSS, MONTH, NOW)[0] == (
        "wrong_content"
    )


def test_an_undated_feed_is_ok_but_says_so() -> None:
    body = b"<rss><channel><item><title>a</title></item></channel></rss>"
    assert judge_contents("feed", "https://x/f", body, MONTH, NOW) == ("ok", "feed, no dated items")


DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (
            "sitemap",
            b"<urlset><url><loc>https://x/a</loc><lastmod>2026-11-28</lastmod></url></urlset>",
            datetime(2026, 11, 28, tzinfo=UTC),
        ),
        (
            "feed",
            f"<rss {DC}><channel><item><dc:date>2026-11-28T10:00:00Z</dc:date></item>"
            "</channel></rss>".encode(),
            datetime(2026, 11, 28, 10, tzinfo=UTC),
        ),
        (
            "feed",
            b"<rss><channel><item><pubDate>not a date</pubDate></item>"
            b"<item><pubDate>Thu, 26 Nov 2026 21:45:00 GMT</pubDate></item></channel></rss>",
            datetime(2026, 11, 26, 21, 45, tzinfo=UTC),
        ),
        ("feed", b"<rss><channel><item><pubDate>garbage</pubDate></item></channel></rss>", None),
    ],
)
def test_newest_date_reads_both_date_formats(
    kind: str, body: bytes, expected: datetime | None
) -> None:
    assert newest_date(body, kind) == expected


def test_the_check_reads_with_the_crawlers_parsers() -> None:
    # A feed the crawler's parser recovers from (an unclosed item) is judged by what it holds;
    # a sitemap where a feed should be is named for what it is.
    broken = (
        b"<rss><channel><item><link>https://x/a</link><pubDate>Fri, 27 Nov 2026 06:30:00 GMT"
        b"</pubDate></item><item><link>https://x/b</li"  # cut off, as a 2 MB peek may be
    )
    assert judge_contents("feed", "https://x/f", broken, MONTH, NOW)[0] == "ok"
    outcome, detail = judge_contents("feed", "https://x/f", NEWS_SITEMAP, MONTH, NOW)
    assert outcome == "wrong_content" and "root element <urlset>" in detail
