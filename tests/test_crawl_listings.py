"""Listings told apart from articles by what a page is, `listings:` patterns, and `delay: 0`.

Sites on loopback; the English one names its section pages in `allow`, as a new user would.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from brwatch.extract.hub import read_page_kind
from brwatch.sources import Source
from tests.sites import Page, Site
from tests.test_crawl_e2e import article, articles, crawl, rss, write_sources

GBK_HTML = {"Content-Type": "text/html; charset=gbk"}


def section(title: str, links: list[str], next_path: str | None) -> str:
    items = "".join(f"<li><a href='{path}'>Story headline number {path}</a></li>" for path in links)
    more = f"<a href='{next_path}'>Next</a>" if next_path else ""
    return (
        f"<html><head><title>{title} - Silk Road Herald</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><h1>{title}</h1><ul>{items}</ul>{more}</body></html>"
    )


def zh_section(links: list[str], next_path: str | None) -> bytes:
    items = "".join(f"<li><a href='{path}'>一带一路建设新闻第{path}条</a></li>" for path in links)
    more = f"<a href='{next_path}'>下一页</a>" if next_path else ""
    return (
        f"<html><head><title>滚动新闻 - 丝路经济网</title></head><body><ul>{items}</ul>{more}"
        "</body></html>"
    ).encode("gbk")


def zh_article(n: int) -> bytes:
    body = "".join(
        f"<p>第{n}篇：一带一路倡议推动中欧班列和港口合作，各方表示将继续深化互联互通，第{k}段。</p>"
        for k in range(8)
    )
    return (
        f"<html><head><title>中欧班列新闻{n} - 丝路经济网</title></head><body>"
        f"<h1>中欧班列新闻{n}</h1>{body}</body></html>"
    ).encode("gbk")


# -- what a page is -------------------------------------------------------------------------


def _kind(markup: str | bytes, follows: Callable[[str], bool] = lambda url: True) -> Any:
    return read_page_kind(lxml_html.fromstring(markup), "http://h.test/p", follows)


def test_a_list_of_followed_links_is_a_hub_an_article_is_not() -> None:
    hub = _kind(section("Section 2", [f"/news/{n}.html" for n in range(10)], "/list/3.html"))
    assert hub.hub and hub.followed_links == 11
    story = _kind(
        article("Port deal", extra="".join(f"<a href='/n/{n}'>more</a>" for n in range(8)))
    )
    assert not story.hub and story.own_text > story.link_text
    # A short page of links that declares itself an article stays an article.
    declared = section("Brief", [f"/news/{n}.html" for n in range(10)], None).replace(
        "<head>", "<head><meta property='og:type' content='article'>"
    )
    assert not _kind(declared).hub and _kind(declared).article_metadata
    # Links the source does not follow do not make a hub (a page of outbound links).
    assert not _kind(section("Links", [f"/x/{n}" for n in range(10)], None), lambda u: False).hub
    # Chinese (GBK bytes) reads the same way.
    assert _kind(zh_section([f"/zh/{n}.html" for n in range(8)], "/zh/list_2.html")).hub
    assert not _kind(zh_article(1)).hub


def test_listings_patterns_are_validated_and_named_pages_are_listings() -> None:
    source = Source(
        name="s",
        start_urls=["http://h.test/"],
        listings=[r"/section/\w+$"],
        deny=[r"/section/private$"],
    )
    assert source.is_listing("http://h.test/section/world")
    assert not source.is_listing("http://h.test/news/1.html")
    assert not source.is_listing("http://h.test/section/private")


# -- crawled -----------------------------------------------------------------------------------


def english_site(site: Site, pages: int = 4, per_page: int = 10) -> list[str]:
    """Section pages /list/1..N.html linked "Next", each listing ``per_page`` articles but the
    last, which lists one (too few links to look like a hub on its own)."""
    stories = []
    for number in range(1, pages + 1):
        count = per_page if number < pages else 1
        links = [f"/news/{number * 100 + k}.html" for k in range(count)]
        stories += links
        following = f"/list/{number + 1}.html" if number < pages else None
        site.pages[f"/list/{number}.html"] = Page(section(f"Section {number}", links, following))
        for path in links:
            site.pages[path] = Page(article(f"Story {path}"))
    return stories


def test_section_pages_matched_by_allow_are_followed_not_stored(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], db_url: str, tmp_path: Path
) -> None:
    en = serve_site("127.0.0.61")
    stories = english_site(en)
    zh = serve_site("127.0.0.62")
    zh_paths = [f"/zh/{n}.html" for n in range(12)]
    zh.pages["/zh/list_1.html"] = Page(
        zh_section(zh_paths[:6], "/zh/list_2.html"), headers=GBK_HTML
    )
    zh.pages["/zh/list_2.html"] = Page(zh_section(zh_paths[6:], None), headers=GBK_HTML)
    for n, path in enumerate(zh_paths):
        zh.pages[path] = Page(zh_article(n), headers=GBK_HTML)
    # The Chinese site's sitemap lists its first section page among the articles.
    zh.pages["/sitemap.xml"] = Page(
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{zh.url('/zh/list_1.html')}</loc></url></urlset>",
        headers={"Content-Type": "application/xml"},
    )
    sources = write_sources(
        tmp_path,
        {
            "name": "herald",
            "start_urls": [en.url("/list/1.html")],
            "allow": [r"/news/\d+\.html$", r"/list/\d+\.html$"],
        },
        {"name": "silkecon", "sitemaps": [zh.url("/sitemap.xml")]},
    )
    crawl(brwatch, sources, db_url)
    stored = articles(db_url)
    assert {en.url(path) for path in stories} | {zh.url(path) for path in zh_paths} == set(stored)
    assert not any("/list" in url for url in stored)
    assert stored[zh.url("/zh/3.html")].title == "中欧班列新闻3"


def test_listings_patterns_loops_and_endless_next_chains_are_bounded(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], db_url: str, tmp_path: Path
) -> None:
    site = serve_site("127.0.0.63")
    # A section named by `listings:` with only two links (too few to look like a hub).
    site.pages["/section/world"] = Page(section("World", ["/news/1.html", "/news/2.html"], None))
    # Two hubs linking to each other (a loop), both matched by `allow`.
    loop = [f"/news/{n}.html" for n in range(10, 16)]
    site.pages["/hub/a.html"] = Page(section("A", [*loop, "/hub/b.html"], None))
    site.pages["/hub/b.html"] = Page(section("B", [*loop, "/hub/a.html"], None))

    def endless(request: Any) -> Page:  # /more/N.html -> "Next" /more/N+1.html, forever
        number = int(request.path.rsplit("/", 1)[1].split(".")[0])
        return Page(section(f"More {number}", loop, f"/more/{number + 1}.html"))

    for number in range(200):
        site.pages[f"/more/{number}.html"] = endless
    for path in ["/news/1.html", "/news/2.html", *loop]:
        site.pages[path] = Page(article(f"Story {path}"))
    site.pages["/feed.xml"] = rss(site, ["/section/world", "/hub/a.html", "/more/0.html"])
    sources = write_sources(
        tmp_path,
        {
            "name": "loops",
            "feeds": [site.url("/feed.xml")],
            "allow": [r"/news/\d+\.html$", r"/hub/\w\.html$", r"/more/\d+\.html$"],
            "listings": [r"/section/\w+$"],
        },
    )
    crawl(brwatch, sources, db_url, "--set", "BRWATCH_MAX_LISTING_PAGES=5")
    stored = articles(db_url)
    assert set(stored) == {site.url(p) for p in ["/news/1.html", "/news/2.html", *loop]}
    fetched = site.paths_requested()
    assert fetched.count("/hub/a.html") <= 2 and fetched.count("/hub/b.html") <= 2
    assert len([p for p in fetched if p.startswith("/more/")]) <= 6


def _overlapping(spans: list[tuple[float, float]]) -> bool:
    spans = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def test_delay_zero_is_honoured_and_the_default_stays_polite(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], tmp_path: Path
) -> None:
    spans: dict[str, list[tuple[float, float]]] = {"zero": [], "default": []}
    sites = []
    for host, name in (("127.0.0.64", "zero"), ("127.0.0.65", "default")):
        site = serve_site(host, {"/robots.txt": Page("User-agent: *\nDisallow:\n")})
        site.pages["/feed.xml"] = rss(site, [f"/a/{n}" for n in range(6)])

        def slow(_request: Any, name: str = name) -> Page:
            started = time.monotonic()
            time.sleep(0.3)
            spans[name].append((started, time.monotonic()))
            return Page(article("Intranet note"))

        for n in range(6):
            site.pages[f"/a/{n}"] = slow
        sites.append(site)
    sources = write_sources(
        tmp_path,
        {"name": "zero", "feeds": [sites[0].url("/feed.xml")], "delay": 0},
        {"name": "default", "feeds": [sites[1].url("/feed.xml")]},
    )
    # The polite defaults this time (none of FAST's zero delays).
    db_url = f"sqlite:///{tmp_path / 'delay.db'}"
    result = brwatch("--sources", str(sources), "crawl", "--set", "BRWATCH_WORKERS=1", db=db_url)
    assert result.returncode == 0, result
    assert len(spans["zero"]) == len(spans["default"]) == 6
    # No delay and the host's usual concurrency: requests to it overlap.
    assert _overlapping(spans["zero"])
    # The default source still waits between requests (AutoThrottle's 0.5 s floor, jittered).
    starts = sorted(start for start, _ in spans["default"])
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.2


def test_a_bad_listings_pattern_is_refused_with_its_line(tmp_path: Path) -> None:
    from brwatch.sources import SourcesError, load_sources

    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - name: s\n    start_urls: [http://h.test/]\n    listings:\n"
        "      - '/list/\\d+$'\n      - '(unclosed'\n"
    )
    with pytest.raises(SourcesError) as refused:
        load_sources(path)
    assert len(refused.value.problems) == 1
    assert ":6: source 's' (#1): listings[1]: invalid regex '(unclosed'" in str(refused.value)
