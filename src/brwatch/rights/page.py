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
# Words in class/id/itemprop values (split at spaces, "-" and "_") that say what a block is.
_SKIP_WORDS = frozenset({"cookie", "cookies", "consent", "gdpr"})
# Share bars and comment threads are skipped too, unless they sit in the site footer.
_WIDGET_WORDS = frozenset({"share", "sharing", "social", "comments"})
_CAPTION_WORDS = frozenset(
    {"caption", "figcaption", "credit", "credits", "photocredit", "photo", "img"}
)
_FOOTER_WORDS = frozenset({"copyright", "copyrights", "bottom", "colophon", "siteinfo", "legal", "ft", "copy", "banquan"})  # fmt: skip
_ARTICLE_WORDS = frozenset(
    {"articlebody", "article", "content", "entry", "story", "detail", "body", "post"}
)
_WORD_SPLIT = re2.compile(r"[\s_-]+")


def _marker_kind(marker: str) -> str | None:
    """What a class/id/itemprop value marks: skip, caption, footer, article, or nothing."""
    words = {w for w in _WORD_SPLIT.split(marker.lower()) if w}
    if words & _SKIP_WORDS:
        return "skip"
    if words & _WIDGET_WORDS:
        return "widget"
    if words & _CAPTION_WORDS:
        return "caption"
    if words & _FOOTER_WORDS or any(w.startswith(("foot", "copyright")) for w in words):
        return "footer"
    if words & _ARTICLE_WORDS or any(w.startswith("articlebody") for w in words):
        return "article"
    return None


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
    footer = caption = widget = in_article = False
    while element is not None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIPPED_TAGS:
            return "skip", in_article
        caption = caption or tag in _CAPTION_TAGS
        footer = footer or tag in _CHROME_TAGS
        in_article = in_article or tag in _ARTICLE_TAGS
        marker = " ".join(filter(None, (element.get(a) for a in ("class", "id", "itemprop"))))
        group = _marker_kind(marker) if marker else None
        if group:
            if group == "skip":
                return "skip", in_article
            caption = caption or group == "caption"
            widget = widget or group == "widget"
            footer = footer or group == "footer"
            in_article = in_article or group == "article"
        element = element.getparent()
    if footer:
        return "footer", in_article
    if widget:
        return "skip", in_article
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
