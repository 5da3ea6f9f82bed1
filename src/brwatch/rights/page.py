"""The page's visible text, and where on the page (body, tail, footer) a piece of it sits.

The text is every text node outside scripts and styles, one per line, taken from the tree the
crawler already parsed (lxml) or from a faster parse of the raw HTML (lexbor, page_lexbor.py).
Only for the few lines a rule hits do we walk up the tree to learn the scope, or to drop the hit
(templates, code, captions, cookie banners, share widgets).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import accumulate, compress, count, filterfalse
from operator import add, not_
from typing import Any

from lxml import etree

# Every text node of <body>, once its scripts and styles are emptied (LxmlPageText): a query
# with no predicate of its own runs in about 2/3 of the time of one that tests each node's
# parent. Comments and processing instructions are not text nodes. One step, so a positional
# filter can be appended to it (see nodes_at). An absolute path: "//body" would first walk the
# whole tree looking for every <body>.
_TEXT_XPATH = "/html/body/descendant::text()"
_NO_TEXT_PARENTS = frozenset({"script", "style"})
# Never shown as the page's text, and parsed differently by libxml2 and an HTML5 parser
# (template contents, noscript as markup or as text, a <title> misplaced in the body): both
# readers leave them out.
NO_TEXT_ELEMENTS = frozenset({"template", "noscript", "title"})
# Hits among the last this many text nodes (site footers, where most notices sit) are found by
# walking back from the end of <body>; earlier ones by one positional XPath over the page.
# Walking is done in Python (an element proxy per step), the query in C over the whole page, so
# the walk pays only over a small share of the page.
_BACKWARD_WALK_NODES = 400
_BACKWARD_WALK_SHARE = 0.3
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
    {
        "caption", "figcaption", "credit", "credits", "photocredit", "photo", "photos", "img",
        "image", "images", "picture", "pictures", "bild", "bilder", "foto", "fotos",
    }
)  # fmt: skip
_FOOTER_WORDS = frozenset(
    {"copyright", "copyrights", "bottom", "colophon", "siteinfo", "legal", "ft", "copy", "banquan"}
)
_ARTICLE_WORDS = frozenset(
    {"articlebody", "article", "content", "entry", "story", "detail", "body", "post"}
)


# Class names repeat on every page of a site, and a worker reads many pages of each site, so
# what they mark is remembered; a hostile page's huge attribute values are not.
_CACHED_MARKER_CHARS = 200


def _marker_kind(marker: str) -> str | None:
    """What a class/id/itemprop value marks: skip, caption, footer, article, or nothing."""
    if len(marker) <= _CACHED_MARKER_CHARS:
        return _cached_marker_kind(marker)
    return _classify_marker(marker)


def _classify_marker(marker: str) -> str | None:
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


_cached_marker_kind = lru_cache(maxsize=8192)(_classify_marker)


# A hit after this share of the page's text, outside any article container, is site chrome.
_CHROME_TAIL_SHARE = 0.8
# The last part of an article where source lines and reprint terms sit.
_TAIL_CHARS = 400
# A last paragraph this short is the article's tail as a whole.
_SHORT_LAST_PARAGRAPH = 1000
# How much of a hit's line, up to its end, finds it in the extracted article text.
_KEY_CHARS = 80


class PageText(ABC):
    """The page's text, one text node per line, and a way back to the nodes behind offsets.

    One subclass per parser (lxml for the tree the crawler already parsed, lexbor for raw
    HTML); both list the same text nodes (every one under <body> outside scripts and styles)
    and read the same ancestors, so a page gets the same verdict whichever parsed it.
    Whitespace-only text nodes (the markup's indentation, half of a typical page's text) are
    left out of the lines: no rule can match them, and every scan of the text reads them.
    """

    __slots__ = ("_found", "_node_starts", "_positions", "_starts", "nodes", "strings", "text")

    def __init__(self, nodes: list[str]) -> None:
        # The text nodes' strings in document order: every one, or every one but those a
        # backend leaves out as blank (see _whole_text_starts).
        self.nodes = nodes
        # The lines of ``text``: the nodes that hold more than whitespace, each with its runs
        # of whitespace (line breaks of the markup included) made one space, so a notice
        # wrapped in the page's source reads as one line, whichever parser read it (they keep
        # different whitespace at the ends of blocks).
        self.strings = [" ".join(node.split()) for node in filterfalse(str.isspace, nodes)]
        self.text = "\n".join(self.strings)
        self._starts: list[int] = []
        self._positions: list[int] = []  # line index -> node index
        self._node_starts: list[int] = []
        self._found: dict[int, Any] = {}  # by node index

    def index_at(self, offset: int) -> int:
        """The line holding a character offset of ``text``."""
        if not self._starts:
            # Start of line i = lengths of the lines before it + one newline each (C-level loops).
            ends = map(add, accumulate(map(len, self.strings)), range(1, len(self.strings) + 1))
            self._starts = [0, *ends]
        return max(0, bisect_right(self._starts, offset) - 1)

    def share_before(self, offset: int) -> float:
        """How much of the page's text, whitespace-only nodes included, comes before an offset
        (layout decisions read positions on the page as a reader sees it)."""
        line = self.index_at(offset)
        node = self._node_positions()[line]
        if not self._node_starts:
            self._node_starts = self._whole_text_starts()
        whole = self._node_starts[-1] - 1
        before = self._node_starts[node] + offset - self._starts[line]
        return before / whole if whole > 0 else 0.0

    def _whole_text_starts(self) -> list[int]:
        """Where each listed node would start in the text with every node kept (one per line),
        then that text's length + 1. Here every node is listed."""
        return [0, *accumulate(len(string) + 1 for string in self.nodes)]

    def _node_positions(self) -> list[int]:
        if not self._positions:
            blank = map(str.isspace, self.nodes)
            self._positions = list(compress(count(), map(not_, blank)))
        return self._positions

    def nodes_at(self, offsets: list[int]) -> list[Any]:
        """The text nodes holding these offsets (None where a node cannot be found): footer
        ones by a short walk back from the end of <body>, any others from the start."""
        positions = self._node_positions()
        indexes = [positions[self.index_at(offset)] for offset in offsets]
        missing = {i for i in indexes if i not in self._found}
        if missing:
            self._found.update(self._walk_back_to(min(missing)))
            missing -= self._found.keys()
        if missing:
            self._found.update(self._nodes_from_start(missing))
        return [self._found.get(i) for i in indexes]

    def _walk_back_to(self, first: int) -> dict[int, Any]:
        """Text nodes from the last one back to node index ``first``, each checked against the
        listed strings (a mismatch ends the walk; the rest is looked up from the start).
        Nothing when ``first`` lies further back than the walk pays for."""
        index = len(self.nodes) - 1
        reach = min(_BACKWARD_WALK_NODES, int(len(self.nodes) * _BACKWARD_WALK_SHARE))
        found: dict[int, Any] = {}
        if index - first > reach:
            return found
        for text, node in self._texts_backwards():
            if index < first or text != self.nodes[index]:
                break
            found[index] = node
            index -= 1
        return found

    @abstractmethod
    def _texts_backwards(self) -> Iterator[tuple[str, Any]]:
        """(string, node) for every listed text node, last first."""

    @abstractmethod
    def _nodes_from_start(self, indexes: set[int]) -> dict[int, Any]:
        """The nodes at these node indexes, looked up from the start of <body>."""

    @abstractmethod
    def ancestry(self, node: Any) -> Iterator[tuple[str, Callable[[str], str | None]]]:
        """(tag, attribute getter) of the element holding a text node, then of each ancestor
        up to the root; tag "" for nodes that are not elements."""

    def place(self, node: Any) -> tuple[str | None, bool]:
        """-> (None | "footer" | "caption" | "skip", inside an article container) for a text
        node (None: not found).

        The whole ancestor chain is read: a "credits" block inside a footer is the site's
        notice, not a photo credit.
        """
        footer = caption = widget = in_article = False
        for tag, get in self.ancestry(node) if node is not None else ():
            if tag in _SKIPPED_TAGS:
                return "skip", in_article
            caption = caption or tag in _CAPTION_TAGS
            footer = footer or tag in _CHROME_TAGS
            in_article = in_article or tag in _ARTICLE_TAGS
            marker = " ".join(filter(None, (get(a) for a in ("class", "id", "itemprop"))))
            group = _marker_kind(marker) if marker else None
            if group:
                if group == "skip":
                    return "skip", in_article
                caption = caption or group == "caption"
                widget = widget or group == "widget"
                footer = footer or group == "footer"
                in_article = in_article or group == "article"
        if footer:
            return "footer", in_article
        if widget:
            return "skip", in_article
        return ("caption" if caption else None), in_article


# A text node in an lxml tree as (element holding it, whether it is that element's tail), like
# lxml's smart strings' getparent() and is_tail.
TextNode = tuple[Any, bool]


class LxmlPageText(PageText):
    """The page text of an lxml tree (the one the crawler parsed): one XPath in C.

    It empties the tree's scripts and styles first: their text is never page text, and the
    engine reads JSON-LD and everything else from the markup before the page text
    (PageReader).
    """

    __slots__ = ("tree",)

    def __init__(self, tree: Any) -> None:
        body = tree.find("body")
        if body is not None:
            # One walk: script and style lose their text, the others all they hold.
            hidden = [e for e in body.iter(*_NO_TEXT_PARENTS, *NO_TEXT_ELEMENTS)]
            for element in hidden:
                if element.tag in _NO_TEXT_PARENTS:
                    element.text = None
                else:
                    element.clear(keep_tail=True)
        super().__init__(_TEXT_STRINGS(tree))
        self.tree = tree

    def _nodes_from_start(self, indexes: set[int]) -> dict[int, TextNode]:
        # One query per node, as "smart" strings: with a constant position libxml2 stops at
        # that node, where one query for all of them ("position()=3 or …") reads every text
        # node of the page (0.5 against 0.8 ms per page that needs it).
        found: dict[int, TextNode] = {}
        for index in indexes:
            for node in self.tree.xpath(f"({_TEXT_XPATH})[{index + 1}]"):
                found[index] = (node.getparent(), node.is_tail)
        return found

    def _texts_backwards(self) -> Iterator[tuple[str, TextNode]]:
        body = self.tree.find("body")
        return _texts_backwards(body) if body is not None else iter(())

    def ancestry(self, node: TextNode) -> Iterator[tuple[str, Callable[[str], str | None]]]:
        element, is_tail = node
        if element is not None and is_tail:
            element = element.getparent()
        while element is not None:
            yield (element.tag if isinstance(element.tag, str) else ""), element.get
            element = element.getparent()


def _drop_keeping_tail(element: Any) -> None:
    """Remove an element and everything in it; the text after it stays where it was."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _texts_backwards(body: Any) -> Iterator[tuple[str, TextNode]]:
    """Every text node under ``body`` (whose scripts and styles LxmlPageText emptied), last
    first. Each element's children are read last first and only as far as the walk goes, so
    a short walk back touches few elements; an explicit stack, because hostile pages nest
    deeper than Python's recursion limit."""
    stack = [(body, body.iterchildren(reversed=True))]
    while stack:
        element, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if element.text:
                yield element.text, (element, False)
            continue
        if child.tail:
            yield child.tail, (child, True)
        if isinstance(child.tag, str):  # comments and processing instructions hold no nodes
            stack.append((child, child.iterchildren(reversed=True)))


def page_text(tree: Any) -> LxmlPageText:
    """The page text of an already-parsed lxml tree (its scripts and styles are emptied)."""
    return LxmlPageText(tree)


def _in_tail(article_text: str, end: int) -> bool:
    """Whether an offset of the article text lies in its tail: its last characters, or its
    last paragraph when that is a short one (a notice of several sentences standing last)."""
    length = len(article_text.rstrip())
    if end >= length - _TAIL_CHARS:
        return True
    last_paragraph = article_text.rfind("\n", 0, length) + 1
    return end > last_paragraph and length - last_paragraph <= _SHORT_LAST_PARAGRAPH


def scope_of(
    page: PageText, node: Any, start: int, end: int, article_text: str | None
) -> str | None:
    """The scope of a hit in the page text, or None when the hit is not the page's own notice."""
    place, in_article = page.place(node)
    if place in ("skip", "caption"):
        return None

    if place == "footer":
        return "footer"
    line_start = page.text.rfind("\n", 0, start) + 1
    if article_text:
        # Looked up by the hit with what precedes it on its line (repeated wording elsewhere
        # rarely shares both); a hit ending in the article's last characters is its tail, so
        # a notice closing a long last paragraph is the tail, the paragraph not.
        key = page.text[max(line_start, end - _KEY_CHARS) : end].strip()
        where = article_text.rfind(key) if key else -1
        if where >= 0:
            return "tail" if _in_tail(article_text, where + len(key)) else "body"
        if not in_article:
            return "footer"
    if not in_article and page.share_before(start) > _CHROME_TAIL_SHARE:
        return "footer"
    return "body"
