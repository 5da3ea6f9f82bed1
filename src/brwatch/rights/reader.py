"""What the rights engine reads from a page's markup, behind one interface with two parsers.

lexbor (selectolax) parses the raw markup; lxml reads the tree the crawler parsed for
extraction. ``BRWATCH_RIGHTS_READER`` chooses once per process: ``auto`` (the default: the
lxml tree when the page is parsed already, else a lexbor parse), ``lexbor`` or ``lxml``. Both
read the
same markup (``Document.markup``: NUL replaced, deep nesting flattened) and leave out the same
elements, so they return the same text and signals for every page and the verdict does not
depend on the choice (tests/test_rights_backends.py compares them over every corpus page).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cache
from typing import Any

from lxml import etree
from selectolax.lexbor import LexborHTMLParser

from brwatch.document import Document
from brwatch.rights.page import NO_TEXT_ELEMENTS, LxmlPageText, PageText
from brwatch.rights.page_lexbor import LexborPageText
from brwatch.settings import CoreSettings

# A hostile page may carry thousands of licence links; the first ones decide.
MAX_LICENSE_LINKS = 30
_MEDIA_TAGS = frozenset({"figure", "figcaption"})
_LINK_TAGS = frozenset({"a", "link", "area"})
_JSONLD_TYPE = "application/ld+json"
# Attributes, in order, of a meta tag; (attributes, inside a figure) of a licence link.
Attributes = dict[str, Any]
LicenseLink = tuple[Attributes, bool]

# Some CMSs write value= where HTML has content= (<meta name="dcterms.rightsHolder" value=…>).
_HEAD_METAS = etree.XPath("/html/head/meta[@content or @value]")
_LICENSE_LINKS = etree.XPath(
    "//*[(self::a or self::link or self::area) and @href and (contains(@rel, 'icense') or "
    "contains(@rel, 'ICENSE') or contains(@href, 'creativecommons.org/'))]"
    # CC REL in RDFa: <span property="cc:license" resource="…">, <meta property="dc:license" …>
    " | //*[contains(@property, 'icense') and (@resource or @href or @content)]"
)
_JSONLD_SCRIPTS = etree.XPath(f'//script[@type="{_JSONLD_TYPE}"]')
_NO_TEXT_SELECTOR = ", ".join(("script", "style", *sorted(NO_TEXT_ELEMENTS)))


class PageReader(ABC):
    """One parsed page as the rights engine reads it. ``page_text`` may take the scripts out
    of the tree, so the other readings come first."""

    @abstractmethod
    def head_metas(self) -> list[Attributes]:
        """Attributes of every <meta> with a content (or value) attribute directly under <head>."""

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
        self.parser = LexborHTMLParser(doc.markup)
        self._text: PageText | None = None

    def head_metas(self) -> list[Attributes]:
        head = self.parser.head
        if head is None:
            return []
        return [
            attributes
            for node in head.iter()
            if node.tag == "meta"
            and ("content" in (attributes := node.attributes) or "value" in attributes)
        ]

    def license_links(self) -> list[LicenseLink]:
        self._check_unstripped()
        links: list[LicenseLink] = []
        # Python tests over every element with an href or property (pages get here only when
        # their bytes name a licence): exactly the XPath's conditions, case and all.
        for node in self.parser.css("[href], [property]"):
            attributes = node.attributes
            if not _names_license(node.tag or "", attributes):
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
                # lexbor's text walk reads every text node; script and style text goes first,
                # and what neither reader shows (templates, noscript).
                for node in body.css(_NO_TEXT_SELECTOR):
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


READER_ENV = "BRWATCH_RIGHTS_READER"
READERS: dict[str, Callable[[Document], PageReader]] = {
    "lexbor": LexborPageReader,
    "lxml": LxmlPageReader,
}
# auto (the default): the lxml tree when the page is parsed already (the crawler parsed it for
# extraction, and reading that tree, still warm in the caches, costs less than a fresh lexbor
# parse), else a lexbor parse of the raw markup (cheaper than an lxml parse).


@cache
def configured_reader() -> str:
    """The page reader named by BRWATCH_RIGHTS_READER (auto, lexbor or lxml), chosen once per
    process. Both read the same text (tests/test_rights_backends.py), so the verdict does not
    depend on the choice."""
    return CoreSettings.load().rights_reader


def reader_for(doc: Document) -> PageReader:
    """The configured reader over this page."""
    name = configured_reader()
    if name == "auto":
        name = "lxml" if "tree" in getattr(doc, "__dict__", {}) else "lexbor"
    return READERS[name](doc)
