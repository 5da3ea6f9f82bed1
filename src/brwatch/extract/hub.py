"""Is a fetched page an article or a hub (a section front, a listing, a tag page)?

A source's ``allow`` patterns say which links to follow, not what the pages behind them are:
a section page whose URL looks like an article's must still be read as a listing. A page is
a hub when it is mostly links the source follows, has little text of its own and declares no
article metadata. The crawler follows a hub's links as a listing's and does not store it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from brwatch.extract.metadata import read_metadata

# Text inside these is site chrome, not the page's own words (nor its list of stories).
_CHROME = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form"}
# Meta keys only article pages carry.
_ARTICLE_META = (
    "article:published_time",
    "article:modified_time",
    "pubdate",
    "publishdate",
    "datepublished",
    "dc.date.issued",
)
# A hub links to at least this many pages the source follows …
MIN_HUB_LINKS = 5
# … and has less text of its own than this (characters outside links and chrome) …
MAX_HUB_OWN_TEXT = 1200
# … and no more own text than text in those links.
HUB_LINK_SHARE = 1.0


@dataclass(frozen=True, slots=True)
class HubCheck:
    """What a hub check needs to know of the source: which links it follows (a picklable
    callable: the check runs in the crawler's worker processes) and how many make a hub."""

    follows: Callable[[str], bool]
    min_links: int = MIN_HUB_LINKS


@dataclass(frozen=True, slots=True)
class PageKind:
    """What a page is, with the figures the decision rests on (logged, tested)."""

    hub: bool
    followed_links: int
    link_text: int
    own_text: int
    article_metadata: bool
    links: list[str] | None = None  # the followed links, in page order (hubs only)


def _has_article_metadata(tree: HtmlElement) -> bool:
    meta = read_metadata(tree)
    if meta.jsonld:
        return True
    if meta.meta.get("og:type", "").lower() == "article":
        return True
    return any(key in meta.meta for key in _ARTICLE_META)


def _text_length(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _text_of(element: etree._Element) -> int:
    return _text_length(etree.tostring(element, method="text", encoding=str, with_tail=False))


def _bounds(root: etree._Element) -> tuple[int, int]:
    """At C speed: a lower bound of the page's own text (all text less chrome and every link;
    nested chrome and links in chrome are subtracted twice, which only lowers it) and an upper
    bound of its followed links' text (the text of every link)."""
    chrome = sum(_text_of(element) for element in root.iter(*_CHROME))
    links = sum(_text_of(element) for element in root.iter("a"))
    return _text_of(root) - chrome - links, links


def read_page_kind(
    tree: HtmlElement,
    page_url: str,
    follows: Callable[[str], bool],
    *,
    min_links: int = MIN_HUB_LINKS,
) -> PageKind:
    """Classify a parsed page. ``follows(url)`` says whether the source follows a link;
    ``min_links`` is lower for a page reached from a listing whose URL it resembles (the last
    page of a section may list a single story)."""
    body = tree.find(".//body")
    root = body if body is not None else tree
    own_at_least, links_at_most = _bounds(root)
    if own_at_least >= MAX_HUB_OWN_TEXT or own_at_least > HUB_LINK_SHARE * links_at_most:
        # Articles stop here, without resolving a single link (the crawler asks this of every
        # page it fetches as an article).
        return PageKind(False, 0, links_at_most, own_at_least, False)
    own = link_text = 0
    followed: dict[str, None] = {}  # ordered
    page = page_url.split("#", 1)[0]

    # Depth-first without recursion (pages nest thousands deep): (element, inside a link).
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, in_link = stack.pop()
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _CHROME:
            continue
        if tag == "a" and not in_link:
            href = (element.get("href") or "").strip()
            absolute = href.startswith(("http://", "https://"))
            url = (href if absolute else urljoin(page_url, href)).split("#", 1)[0] if href else ""
            if url and url != page and urlsplit(url).scheme in ("http", "https") and follows(url):
                followed[url] = None
                in_link = True
        # Text of comments and processing instructions is not the page's; a child's tail
        # belongs to this element.
        lengths = _text_length(element.text) if tag else 0
        lengths += sum(_text_length(child.tail) for child in element)
        if in_link:
            link_text += lengths
        else:
            own += lengths
        stack.extend((child, in_link) for child in reversed(element))

    enough_links = len(followed) >= min_links
    looks_like_list = enough_links and own < MAX_HUB_OWN_TEXT and own <= HUB_LINK_SHARE * link_text
    metadata = _has_article_metadata(tree) if looks_like_list else False
    hub = looks_like_list and not metadata
    return PageKind(hub, len(followed), link_text, own, metadata, list(followed) if hub else None)
