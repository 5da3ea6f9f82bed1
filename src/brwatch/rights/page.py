"""The page's visible text, and where on the page (body, tail, footer) a piece of it sits.

The text is every text node outside scripts and styles, one per line, taken from the tree the
crawler already parsed. Only for the few lines a rule hits do we walk up the tree to learn the
scope, or to drop the hit (templates, code, captions, cookie banners, share widgets).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add
from typing import Any

from lxml import etree

# Outside scripts and styles; comments and processing instructions are not text nodes.
# One step with a predicate, so a positional filter can be appended to it (see nodes_at).
_TEXT_XPATH = "//body/descendant::text()[not(parent::script or parent::style)]"
# Plain strings: a "smart" string per text node would build an element proxy for each.
_TEXT_STRINGS = etree.XPath(_TEXT_XPATH, smart_strings=False)
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
_FOOTER_WORDS = frozenset(
    {"copyright", "copyrights", "bottom", "colophon", "siteinfo", "legal", "ft", "copy", "banquan"}
)
_ARTICLE_WORDS = frozenset(
    {"articlebody", "article", "content", "entry", "story", "detail", "body", "post"}
)


def _marker_kind(marker: str) -> str | None:
    """What a class/id/itemprop value marks: skip, caption, footer, article, or nothing."""
    words = set(marker.lower().replace("-", " ").replace("_", " ").split())
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
    """The page's text, one text node per line, and a way back to the nodes behind offsets."""

    tree: Any
    strings: list[str]
    text: str
    _starts: list[int] = field(default_factory=list)
    _nodes: dict[int, Any] = field(default_factory=dict)

    def index_at(self, offset: int) -> int:
        if not self._starts:
            # Start of line i = lengths of the lines before it + one newline each (C-level loops).
            ends = map(add, accumulate(map(len, self.strings)), range(1, len(self.strings) + 1))
            self._starts = [0, *ends]
        return max(0, bisect_right(self._starts, offset) - 1)

    def nodes_at(self, offsets: list[int]) -> list[Any]:
        """The text nodes (with their parents) holding these offsets, fetched in one query."""
        indexes = [self.index_at(offset) for offset in offsets]
        missing = sorted({i for i in indexes if i not in self._nodes})
        if missing:
            # Only the few nodes a rule hit are looked up as "smart" strings.
            wanted = " or ".join(f"position()={i + 1}" for i in missing)
            found = self.tree.xpath(f"{_TEXT_XPATH}[{wanted}]")
            for index, node in zip(missing, found, strict=False):
                self._nodes[index] = node
        return [self._nodes.get(i) for i in indexes]


def page_text(tree: Any) -> PageText:
    strings = _TEXT_STRINGS(tree)
    return PageText(tree, strings, "\n".join(strings))


def _place(node: Any) -> tuple[str | None, bool]:
    """-> (None | "footer" | "caption" | "skip", inside an article container) for a text node.

    The whole ancestor chain is read: a "credits" block inside a footer is the site's notice,
    not a photo credit.
    """
    element = node.getparent() if node is not None else None
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


def scope_of(
    page: PageText, node: Any, start: int, end: int, article_text: str | None
) -> str | None:
    """The scope of a hit in the page text, or None when the hit is not the page's own notice."""
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
