"""The demo's sample sites: each host answers on its own loopback address, pages link only to
pages that exist, the GBK page declares no charset anywhere, and the demo sources file is valid."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from brwatch.demo import DemoDataError, RunningSite, demo_sources_yaml, load_site_specs
from brwatch.demo.server import SiteSpec, _fill_placeholders, serve_demo_sites
from brwatch.sources import load_sources

GBK_PAGE = "/news/2026/11/27/port-cooperation.html"
LINK = re.compile(r"""(?:href="|<loc>|<link>|Sitemap: )(http://127\.0\.0\.\d+:\d+[^"<\s]*)""")


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, RunningSite]]:
    with serve_demo_sites() as running:
        yield running


def test_every_site_answers_on_its_own_loopback_address(sites: dict[str, RunningSite]) -> None:
    assert len(sites) == 7
    assert len({site.host for site in sites.values()}) == 7
    langs = {site.spec.lang for site in sites.values()}
    assert {"zh", "en", "ru", "es", "ar"} <= langs
    for site in sites.values():
        for path in [*site.spec.start_urls, *site.spec.feeds, *site.spec.sitemaps]:
            response = httpx.get(site.url(path))
            assert response.status_code == 200, site.url(path)
        assert httpx.get(site.url("/no-such-page.html")).status_code == 404


def test_the_gbk_page_declares_no_charset_and_is_gbk(sites: dict[str, RunningSite]) -> None:
    response = httpx.get(sites["silkroad-daily"].url(GBK_PAGE))
    assert response.headers["content-type"] == "text/html"
    assert b"charset" not in response.content.lower()
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("gbk")
    assert "海上丝绸之路港口合作论坛在示例港举行" in text
    assert "转载请注明出处" in text


def test_every_notice_kind_is_on_some_page(sites: dict[str, RunningSite]) -> None:
    pages = {
        (name, path): page.body.decode("gbk" if path == GBK_PAGE else "utf-8")
        for name, site in sites.items()
        for path, page in site.pages.items()
    }
    everything = "\n".join(pages.values())
    for notice in (
        "未经授权，禁止转载",
        "转载请注明出处",
        'rel="license"',
        "All rights reserved",
        "Перепечатка запрещена",
        "来源：新华社",
        "来源：<a href=",
        "This article is from",
        '"license": "https://creativecommons.org/licenses/by-sa/4.0/"',
        "جميع الحقوق محفوظة",
    ):
        assert notice in everything, notice
    assert "{{site:" not in everything  # every placeholder was filled in


def test_links_between_sample_pages_all_resolve(sites: dict[str, RunningSite]) -> None:
    bases = {site.base_url: site for site in sites.values()}
    checked = 0
    for site in sites.values():
        for path, page in site.pages.items():
            encoding = "gbk" if path == GBK_PAGE else "utf-8"
            for url in LINK.findall(page.body.decode(encoding)):
                url = url.replace("&amp;", "&")
                base = re.match(r"http://[^/]+", url).group(0)  # type: ignore[union-attr]
                assert base in bases, f"{site.spec.name}{path} links to an unknown host: {url}"
                assert httpx.get(url).status_code == 200, f"{site.spec.name}{path}: {url}"
                checked += 1
    assert checked >= 20


def test_conditional_requests_get_304(sites: dict[str, RunningSite]) -> None:
    url = sites["wire-en"].url("/rss.xml")
    first = httpx.get(url)
    assert first.headers["content-type"].startswith("application/rss+xml")
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_demo_sources_file_is_valid_and_scoped_to_each_site(
    sites: dict[str, RunningSite], tmp_path: Path
) -> None:
    path = tmp_path / "demo-sources.yaml"
    path.write_text(demo_sources_yaml(sites), encoding="utf-8")
    sources = {source.name: source for source in load_sources(path)}
    assert set(sources) == {f"demo-{name}" for name in sites}
    silkroad, wire_en = sources["demo-silkroad-daily"], sources["demo-wire-en"]
    assert silkroad.sitemaps == [sites["silkroad-daily"].url("/robots.txt")]
    assert silkroad.delay == 0 and silkroad.lang == ["zh"]
    assert silkroad.allows(sites["silkroad-daily"].url(GBK_PAGE))
    assert not silkroad.allows(sites["silkroad-daily"].url("/index_2.html"))  # a listing page
    assert not silkroad.allows(sites["silkroad-daily"].url("/robots.txt"))
    # the reprint's link to the original belongs to the original's own source
    original = sites["wire-en"].url("/2026/11/27/rail-freight.html")
    assert not sources["demo-reprint-en"].allows(original)
    assert wire_en.allows(original)


def test_an_unknown_placeholder_is_a_data_error() -> None:
    with pytest.raises(DemoDataError, match="unknown site 'nowhere'"):
        _fill_placeholders(b'<a href="{{site:nowhere}}/x">', {"wire-en": b"http://h"}, "x/y.html")
    filled = _fill_placeholders(b'<a href="{{site:wire-en}}/x">', {"wire-en": b"http://h"}, "x")
    assert filled == b'<a href="http://h/x">'


def test_a_missing_entry_point_file_is_a_data_error() -> None:
    (spec,) = [s for s in load_site_specs() if s.name == "akhbar-ar"]
    broken = SiteSpec.model_validate({**spec.model_dump(), "start_urls": ["/gone.html"]})
    with pytest.raises(DemoDataError, match=r"no file for /gone\.html"), serve_demo_sites([broken]):
        pass
