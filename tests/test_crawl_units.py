"""Unit tests of the crawler's Scrapy-free parts: URL keys, feeds, sitemaps, listing links."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest
from brwatch_crawler.links import ListingBudget, listing_links, url_shape

from brwatch.discovery.feeds import parse_feed
from brwatch.discovery.sitemaps import parse_sitemap, robots_sitemaps
from brwatch.discovery.xmldoc import XmlError
from brwatch.pipeline.urls import normalise_url, same_site


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTP://Example.COM:80/a/b", "http://example.com/a/b"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&fbclid=x", "https://example.com/a?a=1&b=2"),
        ("https://www.aljazeera.com/n/1?traffic_source=rss", "https://www.aljazeera.com/n/1"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?id=7", "https://example.com/a?id=7"),
    ],
)
def test_url_key_drops_what_does_not_name_the_page(url: str, key: str) -> None:
    assert normalise_url(url) == key


def test_url_key_resolves_relative_links_and_refuses_other_schemes() -> None:
    assert normalise_url("../b?x=1#f", "http://h.org/a/c") == "http://h.org/b?x=1"
    assert normalise_url("mailto:someone@h.org") is None
    assert normalise_url("javascript:void(0)", "http://h.org/") is None
    assert normalise_url("  ") is None


def test_same_site_ignores_www() -> None:
    assert same_site("https://www.h.org/a", "http://h.org/b")
    assert not same_site("https://h.org/a", "https://other.org/a")


RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>T</title><language>zh-cn</language><copyright>Copyright Xinhua</copyright>
<item><title>One</title><link>https://h.org/1.html</link>
  <pubDate>Mon, 02 Nov 2026 10:00:00 +0800</pubDate></item>
<item><title>Two</title><guid isPermaLink="true">https://h.org/2.html</guid>
  <dc:date>2026-11-03T08:00:00Z</dc:date></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<entry><title>A</title><link rel="alternate" href="https://h.org/a"/>
<link rel="enclosure" href="https://h.org/a.mp3"/><published>2026-11-01T00:00:00Z</published></entry>
</feed>"""


def test_rss_items_carry_title_date_language_and_feed_rights() -> None:
    feed = parse_feed(RSS)
    assert [e.url for e in feed.entries] == ["https://h.org/1.html", "https://h.org/2.html"]
    first = feed.entries[0]
    assert first.title == "One"
    assert first.published == "2026-11-02T10:00:00+08:00"
    assert first.lang == "zh-cn"
    assert feed.entries[1].published == "2026-11-03T08:00:00+00:00"
    assert feed.rights == "Copyright Xinhua"
    assert feed.problem is None


def test_atom_entries_use_the_alternate_link() -> None:
    feed = parse_feed(ATOM)
    assert [(e.url, e.lang) for e in feed.entries] == [("https://h.org/a", "en")]


def test_malformed_feed_is_recovered_or_refused_with_a_reason() -> None:
    truncated = RSS[: RSS.index(b"<item><title>Two")]
    feed = parse_feed(truncated)
    assert [e.url for e in feed.entries] == ["https://h.org/1.html"]
    assert feed.problem and "malformed" in feed.problem
    with pytest.raises(XmlError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body>moved</body></html>")
    with pytest.raises(XmlError):
        parse_feed(b"<rss><channel><item><link>")
    with pytest.raises(XmlError, match="empty"):
        parse_feed(b"")


def test_feed_parser_never_expands_entities() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
    <rss><channel><item><title>&b;</title><link>https://h.org/x</link></item></channel></rss>"""
    entry = parse_feed(bomb).entries[0]
    assert entry.url == "https://h.org/x"
    assert "aaaaaaaaaa" not in (entry.title or "")


NEWS_SITEMAP = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://h.org/n/1</loc><news:news><news:publication><news:name>H</news:name>
<news:language>fr</news:language></news:publication>
<news:publication_date>2026-11-20T09:30:00+01:00</news:publication_date>
<news:title>La Ceinture et la Route</news:title></news:news></url>
<url><loc>https://h.org/n/2</loc><lastmod>2026-11-21</lastmod></url>
</urlset>"""


def test_news_sitemap_gives_title_date_and_language() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP)
    assert not sitemap.is_index
    first, second = sitemap.entries
    assert (first.url, first.title, first.lang) == (
        "https://h.org/n/1",
        "La Ceinture et la Route",
        "fr",
    )
    assert first.published == "2026-11-20T09:30:00+01:00"
    assert second.lastmod == "2026-11-21T00:00:00+00:00"


def test_sitemap_index_newest_first_and_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://h.org/s-2025.xml</loc><lastmod>2025-01-01</lastmod></sitemap>
    <sitemap><loc>https://h.org/s-2026.xml.gz</loc><lastmod>2026-11-01</lastmod></sitemap>
    <sitemap><loc>https://h.org/s-undated.xml</loc></sitemap></sitemapindex>"""
    sitemap = parse_sitemap(gzip.compress(index))
    assert sitemap.is_index
    assert [e.url for e in sitemap.newest_first()] == [
        "https://h.org/s-2026.xml.gz",
        "https://h.org/s-2025.xml",
        "https://h.org/s-undated.xml",
    ]
    with pytest.raises(XmlError, match="not a sitemap"):
        parse_sitemap(RSS)


def test_robots_sitemap_lines() -> None:
    robots = b"\xef\xbb\xbfUser-agent: *\nDisallow: /x\nSitemap: https://h.org/a.xml\nsitemap:https://h.org/b.xml\n"
    assert robots_sitemaps(robots) == ["https://h.org/a.xml", "https://h.org/b.xml"]


LISTING = """<html><head><link rel="next" href="/list?page=2"></head><body>
<a href="/news/1.html">One</a> <a href="/news/1.html#top">One again</a>
<a href="/news/2.html?utm_source=home">Two</a> <a href="https://other.org/news/3.html">Off-site</a>
<a href="/about.html">About</a> <a href="/list_3.html">3</a> <a href="/archive">下一页</a>
<a href="javascript:void(0)">js</a> <a href="mailto:x@h.org">mail</a></body></html>"""


def test_listing_links_split_articles_from_next_pages() -> None:
    tree = lxml.html.document_fromstring(LISTING)
    links = listing_links(tree, "http://h.org/list", lambda url: "/news/" in url)
    assert links.articles == ["http://h.org/news/1.html", "http://h.org/news/2.html"]
    assert links.pages == [
        "http://h.org/list?page=2",
        "http://h.org/list_3.html",
        "http://h.org/archive",
    ]


def test_deny_patterns_stop_next_pages_too() -> None:
    tree = lxml.html.document_fromstring(LISTING)
    links = listing_links(
        tree,
        "http://h.org/list",
        lambda url: "/news/" in url,
        denies=lambda url: "page=" in url or "/news/2" in url,
    )
    assert links.articles == ["http://h.org/news/1.html"]
    assert links.pages == ["http://h.org/list_3.html", "http://h.org/archive"]


def test_explicit_allow_patterns_may_reach_other_hosts() -> None:
    tree = lxml.html.document_fromstring(LISTING)
    links = listing_links(tree, "http://h.org/list", lambda url: "/news/" in url, any_site=True)
    assert "https://other.org/news/3.html" in links.articles


def test_listing_budget_caps_each_url_shape() -> None:
    budget = ListingBudget(per_shape=3)
    calendar = [f"http://h.org/cal/2026/{month}" for month in range(1, 8)]
    assert [budget.take("s", url) for url in calendar] == [True] * 3 + [False] * 4
    assert budget.take("other-source", calendar[0])
    assert budget.take("s", "http://h.org/list?page=1")
    assert url_shape("http://h.org/cal/2026/11") == url_shape("http://h.org/cal/1999/1")


def test_numbered_link_text_is_an_article_when_allow_patterns_name_it() -> None:
    tree = lxml.html.document_fromstring(
        "<a href='/art/1.html'>1</a><a href='/art/2.html'>2</a><a href='/list?page=2'>2</a>"
        "<a href='/c/2026/11/c_1234.htm'>Story</a>"
    )
    links = listing_links(
        tree, "http://h.org/list", lambda url: "/art/" in url or "/c/" in url, any_site=True
    )
    assert links.articles == [
        "http://h.org/art/1.html",
        "http://h.org/art/2.html",
        "http://h.org/c/2026/11/c_1234.htm",
    ]
    assert links.pages == ["http://h.org/list?page=2"]


def test_seen_articles_are_asked_for_conditionally_or_not_at_all() -> None:
    from brwatch_crawler.spiders.news import NewsSpider
    from scrapy.utils.test import get_crawler

    from brwatch.sources import Source
    from brwatch.storage.articles import SeenInfo

    source = Source(name="s", feeds=["http://h.org/feed"])
    seen = {
        "http://h.org/validated": SeenInfo('"e1"', "Mon, 02 Nov 2026 10:00:00 GMT", 200, "x"),
        "http://h.org/no-validators": SeenInfo(None, None, 200, "x"),
        "http://h.org/gone": SeenInfo('"e2"', None, 404, None),
    }
    settings = {"BRWATCH_MAX_LISTING_PAGES": 5, "BRWATCH_MAX_CHILD_SITEMAPS": 2,
                "BRWATCH_MAX_SITEMAP_URLS": 10}  # fmt: skip
    crawler = get_crawler(NewsSpider, settings)
    spider = NewsSpider.from_crawler(crawler, sources=[source], seen=seen)
    urls = [*seen, "http://h.org/new", "http://h.org/new"]
    requests = [r for url in urls for r in spider.follow_article(source, url, {"title": None})]

    assert [r.url for r in requests] == ["http://h.org/validated", "http://h.org/new"]
    validated, new = requests
    assert validated.headers.to_unicode_dict() == {
        "If-None-Match": '"e1"', "If-Modified-Since": "Mon, 02 Nov 2026 10:00:00 GMT"
    }  # fmt: skip
    assert not new.headers and new.meta["hints"] == {}
    assert crawler.stats.get_value("brwatch/s/skipped_seen") == 2


def test_refetch_schedule_goes_by_age_and_refuses_what_it_cannot_read() -> None:
    from brwatch.pipeline.refetch import RefetchSchedule, RefetchScheduleError

    schedule = RefetchSchedule.parse("1d=6h, 30d=7d, *=off")
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731
    assert schedule.due(born=hours(3), fetched=hours(7), now=now)  # young, 7 h since
    assert not schedule.due(born=hours(3), fetched=hours(5), now=now)
    assert not schedule.due(born=hours(24 * 10), fetched=hours(24 * 6), now=now)  # 10 days old
    assert schedule.due(born=hours(24 * 10), fetched=hours(24 * 8), now=now)
    assert not schedule.due(born=hours(24 * 400), fetched=hours(24 * 399), now=now)  # never
    assert not schedule.due(born=None, fetched=hours(24 * 399), now=now)  # unknown age: oldest
    assert not RefetchSchedule.parse("off").due(hours(1), hours(100), now)
    for bad, says in (("7d", "AGE=INTERVAL"), ("7d=soon", "not a duration"),
                      ("7d=1d, 1d=1h", "must grow"), ("*=1d, 7d=1h", "must grow")):  # fmt: skip
        with pytest.raises(RefetchScheduleError, match=says):
            RefetchSchedule.parse(bad)


def test_pages_without_validators_are_asked_for_again_when_their_age_says_so() -> None:
    from brwatch_crawler.spiders.news import NewsSpider
    from scrapy.utils.test import get_crawler

    from brwatch.sources import Source
    from brwatch.storage.articles import SeenInfo

    source = Source(name="s", feeds=["http://h.org/feed"])
    now = datetime.now(UTC)
    seen = {
        "http://h.org/young": SeenInfo(None, None, 200, "ab", now - timedelta(hours=7), now),
        "http://h.org/young-recent": SeenInfo(None, None, 200, "cd", now - timedelta(hours=1), now),
        "http://h.org/old": SeenInfo(None, None, 200, "ef", now - timedelta(days=20),
                                     now - timedelta(days=900)),
    }  # fmt: skip
    settings = {
        "BRWATCH_MAX_LISTING_PAGES": 5,
        "BRWATCH_MAX_CHILD_SITEMAPS": 2,
        "BRWATCH_MAX_SITEMAP_URLS": 10,
        "BRWATCH_REFETCH_AFTER": "1d=6h, *=off",
    }
    crawler = get_crawler(NewsSpider, settings)
    spider = NewsSpider.from_crawler(crawler, sources=[source], seen=seen)
    requests = [r for url in seen for r in spider.follow_article(source, url, {})]

    assert [r.url for r in requests] == ["http://h.org/young"]
    assert not requests[0].headers  # nothing to be conditional on
    assert requests[0].meta["last_sha256"] == "ab"  # the same bytes again need no processing
    assert crawler.stats.get_value("brwatch/s/skipped_seen") == 2
