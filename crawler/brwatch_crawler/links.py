"""Which links on a listing page are articles and which are further pages of the listing.

A listing's own pages (rel=next, "next"/"下一页"/page numbers, ``page_2.html``, ``?page=2``) are
followed as listings; other links the source allows are articles, which are leaves: the crawl
never follows links out of an article. Listing chains are capped per URL shape, so a calendar
or an endless "next" cannot trap the crawl.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from brwatch.pipeline.urls import normalise_url, same_site
from brwatch.sources import Source

# Link texts that mean "the next page of this list", in the languages of our sources.
_NEXT_TEXT = re.compile(
    r"^(?:next|next page|more|older|older posts|下一页|下页|下一頁|后页|更多|"
    r"следующая|далее|suivant|suivante|siguiente|próxima|التالي|»|›|>|>>|\d{1,4})$",
    re.IGNORECASE,
)
# URL shapes of numbered listing pages.
_PAGE_URL = re.compile(
    r"(?:[?&](?:page|p|pg|pn|paged|start|offset)=\d+|/page/\d+/?$"
    r"|/(?:index|list|page)[_-]?\d{1,4}\.s?html?$)",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")


@dataclass(slots=True)
class ListingLinks:
    articles: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


def url_shape(url: str) -> str:
    """The URL with every number replaced: /cal/2026/11 and /cal/2026/12 share one shape."""
    return _DIGITS.sub("0", url)


def is_next_page(url: str, text: str, rel: str, listing_url: str, *, article: bool) -> bool:
    """rel=next always; a "next"/number link text or a page-numbered URL unless the link
    is one the source's allow patterns name as an article."""
    if not same_site(url, listing_url):
        return False
    if "next" in rel.lower().split() or _PAGE_URL.search(url):
        return True
    return not article and bool(_NEXT_TEXT.match(" ".join(text.split())))


def _anchors(tree: HtmlElement) -> Iterable[tuple[str, str, str]]:
    for element in tree.iter("a", "link"):
        href = (element.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        rel = element.get("rel") or ""
        if element.tag == "link" and "next" not in rel.lower():
            continue
        yield href, element.text_content() if element.tag == "a" else "", rel


def listing_links(
    tree: HtmlElement,
    listing_url: str,
    allows: Callable[[str], bool],
    *,
    any_site: bool = False,
    denies: Callable[[str], bool] | None = None,
    listings: Callable[[str], bool] | None = None,
) -> ListingLinks:
    """Split a listing page's links into article links and further listing pages.

    Without explicit allow patterns (``any_site`` False) only same-site links are articles.
    A link ``denies`` matches is never followed, not even as a next page; a link ``listings``
    matches (the source's `listings` patterns) is always a listing page.
    """
    found = ListingLinks()
    seen: set[str] = {normalise_url(listing_url) or listing_url}
    for href, text, rel in _anchors(tree):
        url = normalise_url(href, listing_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        if denies is not None and denies(url):
            continue
        allowed = allows(url) and (any_site or same_site(url, listing_url))
        named_listing = listings is not None and listings(url)
        if named_listing or is_next_page(url, text, rel, listing_url, article=allowed and any_site):
            found.pages.append(url)
        elif allowed:
            found.articles.append(url)
    return found


# Per worker process: whether a source follows a URL (a site's navigation repeats on every page).
_FOLLOWED: dict[tuple[str, str], bool] = {}
_FOLLOWED_MAX = 100_000


class SourceFollows:
    """Whether a source follows a link, as an article or a listing: picklable, so a hub check
    (brwatch.extract.hub) can run in the worker processes with the page's other work."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def __call__(self, url: str) -> bool:
        key = (self.source.name, url)
        known = _FOLLOWED.get(key)
        if known is None:
            if len(_FOLLOWED) >= _FOLLOWED_MAX:
                _FOLLOWED.clear()
            known = _FOLLOWED[key] = self._follows(url)
        return known

    def _follows(self, url: str) -> bool:
        source = self.source
        normal = normalise_url(url)
        if normal is None:
            return False
        # Without allow patterns a source follows links on its own sites only.
        if not source.allow and not any(same_site(normal, u) for _, u in source.entry_points):
            return False
        return source.allows(normal) or source.is_listing(normal)


class ListingBudget:
    """Caps how many listing pages of one URL shape a source may fetch (calendar traps)."""

    def __init__(self, per_shape: int) -> None:
        self.per_shape = per_shape
        self._counts: Counter[tuple[str, str]] = Counter()

    def take(self, source: str, url: str) -> bool:
        key = (source, url_shape(url))
        if self._counts[key] >= self.per_shape:
            return False
        self._counts[key] += 1
        return True
