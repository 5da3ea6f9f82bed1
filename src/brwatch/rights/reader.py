"""What the rights engine reads from a page's markup, behind one interface with two parsers.

A page the crawler already parsed is read from its lxml tree, the one extraction read; a page
nobody has parsed yet (a library call with bytes, ``brwatch recheck``) is parsed with
lexbor, about twice as fast as lxml, except markup lexbor handles badly (NUL, deep nesting).
Both readers return the same things for the same page, so the verdict does not depend on who
parsed it (tests/test_rights_backends.py). Measured, a fresh lexbor parse is even a little
cheaper than reading the crawler's lxml tree (benchmarks/rights.md); dropping the ``parsed``
test in reader_for would send every page to lexbor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from lxml import etree
from selectolax.lexbor import LexborHTMLParser

from brwatch.document import Document
from brwatch.rights.page import LxmlPageText, PageText
from brwatch.rights.page_lexbor import LexborPageText

# A hostile page may carry thousands of licence links; the first ones decide.
MAX_LICENSE_LINKS = 30
_MEDIA_TAGS = frozenset({"figure", "figcaption"})
_LINK_TAGS = frozenset({"a", "link", "area"})
_JSONLD_TYPE = "application/ld+json"
# lexbor's tree builder slows down with the square of the nesting depth (20,000 nested <div>s
# take seconds; lxml stops at depth 256), so markup that may nest deeper than this is read with
# lxml. The estimate (may_nest_deeper) peaks at ~2,900 on the corpus pages.
MAX_LEXBOR_NESTING = 4000
_NESTING_CHUNK = 16384
_LT = ord("<")
# Attributes, in order, of a meta tag; (attributes, inside a figure) of a licence link.
Attributes = dict[str, Any]
LicenseLink = tuple[Attributes, bool]

_HEAD_METAS = etree.XPath("/html/head/meta[@content]")
_LICENSE_LINKS = etree.XPath(
    "//*[(self::a or self::link or self::area) and @href and (contains(@rel, 'icense') or "
    "contains(@rel, 'ICENSE') or contains(@href, 'creativecommons.org/'))]"
    # CC REL in RDFa: <span property="cc:license" resource="…">, <meta property="dc:license" …>
    " | //*[contains(@property, 'icense') and (@resource or @href or @content)]"
)
_JSONLD_SCRIPTS = etree.XPath(f'//script[@type="{_JSONLD_TYPE}"]')


class PageReader(ABC):
    """One parsed page as the rights engine reads it. ``page_text`` may take the scripts out
    of the tree, so the other readings come first."""

    @abstractmethod
    def head_metas(self) -> list[Attributes]:
        """Attributes of every <meta> with a content attribute directly under <head>."""

    @abstractmethod
    def license_links(self) -> list[LicenseLink]:
        """The first elements that may name a licence: a/link/area with a rel naming one or a
        Creative Commons href, or an RDFa property naming one with a value."""

    @abstractmethod
    def jsonld_scripts(self) -> list[str]:
        """The text of every <script type="application/ld+json">."""

    @abstractmethod
    def page_text(self) -> PageText:
        """The page's visible text (see page.py)."""


class LxmlPageReader(PageReader):
    """Reads the lxml tree of a Document (parsing it if nobody has yet)."""

    def __init__(self, doc: Document) -> None:
        self.tree = doc.tree

    def head_metas(self) -> list[Attributes]:
        return [dict(meta.attrib) for meta in _HEAD_METAS(self.tree)]

    def license_links(self) -> list[LicenseLink]:
        return [
            (dict(element.attrib), any(a.tag in _MEDIA_TAGS for a in element.iterancestors()))
            for element in _LICENSE_LINKS(self.tree)[:MAX_LICENSE_LINKS]
        ]

    def jsonld_scripts(self) -> list[str]:
        return [script.xpath("string()") for script in _JSONLD_SCRIPTS(self.tree)]

    def page_text(self) -> PageText:
        return LxmlPageText(self.tree)


class LexborPageReader(PageReader):
    """Parses the Document's markup with lexbor (selectolax): its own UTF-8 bytes when it has
    them, else its decoded text."""

    def __init__(self, doc: Document) -> None:
        utf8 = getattr(doc, "utf8", None)
        self.parser = LexborHTMLParser(utf8 if utf8 is not None else doc.text)
        self._text: PageText | None = None

    def head_metas(self) -> list[Attributes]:
        head = self.parser.head
        if head is None:
            return []
        return [
            attributes
            for node in head.iter()
            if node.tag == "meta" and "content" in (attributes := node.attributes)
        ]

    def license_links(self) -> list[LicenseLink]:
        self._check_unstripped()
        links: list[LicenseLink] = []
        # Python tests over every element with an href or property (pages get here only when
        # their bytes name a licence): exactly the XPath's conditions, case and all.
        for node in self.parser.css("[href], [property]"):
            attributes = node.attributes
            if not _names_license(node.tag, attributes):
                continue
            links.append((attributes, _in_media(node)))
            if len(links) >= MAX_LICENSE_LINKS:
                break
        return links

    def jsonld_scripts(self) -> list[str]:
        self._check_unstripped()
        return [
            node.text()
            for node in self.parser.css("script[type]")
            if node.attributes.get("type") == _JSONLD_TYPE
        ]

    def page_text(self) -> PageText:
        if self._text is None:
            body = self.parser.body
            if body is not None:
                # lexbor's text walk reads every text node; script and style text goes first.
                for node in body.css("script, style"):
                    node.decompose()
            self._text = LexborPageText(body)
        return self._text

    def _check_unstripped(self) -> None:
        if self._text is not None:
            raise RuntimeError("read the markup before page_text(), which removes scripts")


def _names_license(tag: str, attributes: Attributes) -> bool:
    if tag in _LINK_TAGS and "href" in attributes:
        rel, href = attributes.get("rel") or "", attributes["href"] or ""
        if "icense" in rel or "ICENSE" in rel or "creativecommons.org/" in href:
            return True
    prop = attributes.get("property") or ""
    return "icense" in prop and any(k in attributes for k in ("resource", "href", "content"))


def _in_media(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in _MEDIA_TAGS:
            return True
        parent = parent.parent
    return False


def reader_for(doc: Document) -> PageReader:
    """The lxml tree when the page is parsed already, else a lexbor parse of its markup."""
    parsed = "tree" in getattr(doc, "__dict__", {})
    if parsed:
        return LxmlPageReader(doc)
    utf8 = getattr(doc, "utf8", None)
    markup = utf8 if utf8 is not None else doc.text
    # lexbor drops NUL from text and joins nodes with it (page_lexbor.py); such rare pages go
    # to lxml. Pages with their own UTF-8 bytes carry no NUL (brwatch.document checks).
    if (utf8 is None and "\0" in doc.text) or may_nest_deeper(markup):
        return LxmlPageReader(doc)
    return LexborPageReader(doc)


def may_nest_deeper(markup: bytes | str, limit: int = MAX_LEXBOR_NESTING) -> bool:
    """Whether the markup may nest elements deeper than ``limit``: start tags minus end tags,
    summed 16 KB at a time ("<" counts both kinds, hence end tags twice). Void elements,
    comments and "<" in scripts only raise the estimate."""
    tag, end_tag = ("<", "</") if isinstance(markup, str) else (b"<", b"</")
    if _count_tag_opens(markup) <= limit:
        return False  # 94% of the corpus pages: one counting pass
    depth = 0
    for start in range(0, len(markup), _NESTING_CHUNK):
        stop = start + _NESTING_CHUNK
        depth += markup.count(tag, start, stop) - 2 * markup.count(end_tag, start, stop)  # type: ignore[arg-type]
        if depth > limit:
            return True
    return False


def _count_tag_opens(markup: bytes | str) -> int:
    """How many "<" the markup holds; over bytes with numpy's vectorised compare, ~3x faster
    than bytes.count."""
    if isinstance(markup, str):
        return markup.count("<")
    return int(np.count_nonzero(np.frombuffer(markup, dtype=np.uint8) == _LT))
