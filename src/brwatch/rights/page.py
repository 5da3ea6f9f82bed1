"""The page's visible text, and where on the page (body, tail, footer) a piece of it sits.

The text is every text node outside scripts and styles, one per line, taken from the tree the
crawler already parsed. Only for the few lines a rule hits do we walk up the tree to learn the
scope, or to drop the hit (templates, code, captions, cookie banners, share widgets).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import re2
from lxml import etree

# Outside scripts and styles; comments and processing instructions are not text nodes.
_TEXT_NODES = etree.XPath("//body//text()[not(parent::script or parent::style)]")
# Never the page's own words: markup templates, code listings, form controls, graphics.
_SKIPPED_TAGS = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "pre",
        "code",
        "textarea",
        "svg",
        "select",
        "option",
        "button",
    }
)
_CAPTION_TAGS = frozenset({"figcaption", "caption", "figure"})
_CHROME_TAGS = frozenset({"footer"})
_ARTICLE_TAGS = frozenset({"article"})
_ATTR_CLASS = re2.compile(
    r"(?i)(?P<skip>cookie|consent|gdpr|share|social|sharing|comment)|(?P<caption>caption|credit|photo|img|image)|"
    r"(?P<footer>foot|copyright|bottom|colophon|site-?info|legal|\bft\b|\bcopy\b|banquan)|"
    r"(?P<article>articlebody|article-body|article_body|article-content|post-content|entry-content|story-body|\bcontent\b|detail|\bbody\b)"
)
# A hit after this share of the page's text, outside any article container, is site chrome.
_CHROME_TAIL_SHARE = 0.8
# The last part of an article where source lines and reprint terms sit.
_TAIL_CHARS = 400


@dataclass(slots=True)
class PageText:
    """The page's text lines and a way back from a character offset to the node holding it."""

    nodes: list[Any]
    text: str
    _starts: list[int] = field(default_factory=list)

    def node_at(self, offset: int) -> Any:
        if not self._starts:
            self._starts = [0, *accumulate(len(n) + 1 for n in self.nodes)]
        return self.nodes[max(0, bisect_right(self._starts, offset) - 1)]


def page_text(tree: Any) -> PageText:
    nodes = _TEXT_NODES(tree)
    return PageText(nodes, "\n".join(nodes))


def _place(node: Any) -> tuple[str | None, bool]:
    """-> (None | "footer" | "caption" | "skip", inside an article container) for a text node.

    The whole ancestor chain is read: a "credits" block inside a footer is the site's notice,
    not a photo credit.
    """
    element = node.getparent()
    if element is not None and node.is_tail:
        element = element.getparent()
    footer = caption = in_article = False
    while element is not None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIPPED_TAGS:
            return "skip", in_article
        caption = caption or tag in _CAPTION_TAGS
        footer = footer or tag in _CHROME_TAGS
        in_article = in_article or tag in _ARTICLE_TAGS
        marker = " ".join(filter(None, (element.get(a) for a in ("class", "id", "itemprop"))))
        match = _ATTR_CLASS.search(marker) if marker else None
        if match:
            group = match.lastgroup
            if group == "skip":
                return "skip", in_article
            caption = caption or group == "caption"
            footer = footer or group == "footer"
            in_article = in_article or group == "article"
        element = element.getparent()
    if footer:
        return "footer", in_article
    return ("caption" if caption else None), in_article


def scope_of(page: PageText, start: int, end: int, article_text: str | None) -> str | None:
    """The scope of a hit in the page text, or None when the hit is not the page's own notice."""
    node = page.node_at(start)
    place, in_article = _place(node)
    if place in ("skip", "caption"):
        return None
    if place == "footer":
        return "footer"
    line = page.text[page.text.rfind("\n", 0, start) + 1 : end].strip()
    if article_text:
        where = article_text.rfind(line[:60]) if line else -1
        if where >= 0:
            return "tail" if where >= len(article_text) - _TAIL_CHARS else "body"
        if not in_article:
            return "footer"
    if not in_article and start > len(page.text) * _CHROME_TAIL_SHARE:
        return "footer"
    return "body"
