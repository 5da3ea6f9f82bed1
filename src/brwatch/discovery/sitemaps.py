"""robots.txt ``Sitemap:`` lines, sitemap indexes, sitemaps and Google News sitemaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from protego import Protego

from brwatch.discovery.feeds import parse_date
from brwatch.discovery.xmldoc import XmlError, child_text, local, parse_xml


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    url: str
    lastmod: str | None = None
    # From a news sitemap's <news:news>: what the publisher says about the article.
    title: str | None = None
    published: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class Sitemap:
    is_index: bool
    entries: list[SitemapEntry] = field(default_factory=list)
    problem: str | None = None

    def newest_first(self) -> list[SitemapEntry]:
        """Entries by lastmod, newest first; undated ones keep their order at the end."""
        dated = sorted(
            (e for e in self.entries if e.lastmod), key=lambda e: e.lastmod or "", reverse=True
        )
        return dated + [e for e in self.entries if not e.lastmod]


def robots_sitemaps(body: bytes) -> list[str]:
    """The ``Sitemap:`` URLs a robots.txt lists (any case, BOM tolerated), read by protego,
    the parser Scrapy obeys robots.txt with."""
    return list(Protego.parse(body.decode("utf-8-sig", "replace")).sitemaps)


def _news(url_element: etree._Element) -> dict[str, str | None]:
    news = next((c for c in url_element if local(c) == "news"), None)
    if news is None:
        return {}
    publication = next((c for c in news if local(c) == "publication"), None)
    return {
        "title": child_text(news, "title"),
        "published": parse_date(child_text(news, "publication_date")),
        "lang": child_text(publication, "language") if publication is not None else None,
    }


def parse_sitemap(body: bytes) -> Sitemap:
    """A sitemap or sitemap index. Raises XmlError when it is neither."""
    root, problem = parse_xml(body)
    kind = local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise XmlError(f"not a sitemap (root element <{kind}>)")
    is_index = kind == "sitemapindex"
    sitemap = Sitemap(is_index=is_index, problem=problem)
    for element in root:
        if local(element) not in ("url", "sitemap"):
            continue
        loc = child_text(element, "loc")
        if not loc:
            continue
        extra = {} if is_index else _news(element)
        sitemap.entries.append(
            SitemapEntry(url=loc, lastmod=parse_date(child_text(element, "lastmod")), **extra)
        )
    if problem and not sitemap.entries:
        raise XmlError(problem)
    return sitemap
