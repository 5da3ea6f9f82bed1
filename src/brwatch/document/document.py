"""The page as every stage sees it: fetched bytes, decoded text and one lxml tree.

Parsing is the most expensive step per page, so it happens once here and the tree is handed to
extraction, relevance and the rights engine alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import lxml.html
from lxml import etree

from brwatch.document.decode import DecodedText, decode_html

# A page larger than this is cut before parsing; the crawler refuses far larger ones outright.
MAX_PARSE_CHARS = 8_000_000
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_DECLARATION_BYTES = re.compile(rb"^\s*<\?xml")
# lxml reads UTF-8 bytes about twice as fast as a str (which it re-encodes first).
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")


@dataclass(slots=True)
class FetchedPage:
    """What a fetch produced, before any interpretation. Headers are lower-cased names."""

    url: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: str | None = None
    # What discovery already knew: feed/sitemap title, published date, language, feed rights.
    hints: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class Document:
    """A decoded, parsed HTML page. Build it with :func:`parse_document`."""

    __slots__ = (
        "__dict__", "encoding", "encoding_basis", "headers", "hints", "text", "url", "utf8"
    )  # fmt: skip

    def __init__(
        self,
        text: str,
        url: str = "",
        *,
        encoding: str = "utf-8",
        encoding_basis: str = "given",
        headers: dict[str, str] | None = None,
        hints: dict[str, Any] | None = None,
        utf8: bytes | None = None,
    ) -> None:
        self.text = text[:MAX_PARSE_CHARS]
        # The page's own bytes when they are exactly ``text`` in UTF-8 (parsed directly; byte
        # scans reuse them instead of encoding the text again); else None.
        self.utf8 = utf8
        self.url = url
        self.encoding = encoding
        self.encoding_basis = encoding_basis
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.hints = dict(hints or {})

    @cached_property
    def tree(self) -> etree._Element:
        """The lxml tree of the page; an empty <html> for input lxml cannot parse at all."""
        # lxml refuses a str that carries an XML encoding declaration (XHTML pages); the text
        # is already decoded, so the declaration has nothing left to say.
        text = _XML_DECLARATION.sub("", self.text, count=1)
        try:
            # (isspace, not strip: strip copies the whole page)
            blank = not text or text.isspace()
            if self.utf8 is not None and not blank:
                root = lxml.html.document_fromstring(self.utf8, parser=_UTF8_PARSER)
            else:
                root = lxml.html.document_fromstring(text) if not blank else None
        except (etree.ParserError, ValueError):
            root = None
        if root is None:
            root = lxml.html.document_fromstring("<html><body></body></html>")
        return root


def _own_utf8(body: bytes, decoded: DecodedText) -> bytes | None:
    """The body, when lxml may parse it as is: valid UTF-8, not cut, no XML declaration (lxml
    would keep it as a processing instruction) and no NUL (a str parse treats it differently)."""
    if (
        decoded.basis != "utf8-valid"
        or len(body) > MAX_PARSE_CHARS
        or _XML_DECLARATION_BYTES.match(body)
        or b"\0" in body
    ):
        return None
    return body


def parse_document(page: FetchedPage | bytes | str, url: str = "", **kwargs: Any) -> Document:
    """Decode (when given bytes) and wrap a page; the tree is parsed on first use."""
    if isinstance(page, FetchedPage):
        decoded = decode_html(page.body, page.content_type)
        return Document(
            decoded.text,
            page.url,
            encoding=decoded.encoding,
            encoding_basis=decoded.basis,
            headers=page.headers,
            hints=page.hints,
            utf8=_own_utf8(page.body, decoded),
        )
    if isinstance(page, bytes):
        headers = kwargs.pop("headers", None) or {}
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type")
        decoded = decode_html(page, ctype)
        return Document(
            decoded.text,
            url,
            encoding=decoded.encoding,
            encoding_basis=decoded.basis,
            headers=headers,
            utf8=_own_utf8(page, decoded),
            **kwargs,
        )
    return Document(page, url, **kwargs)
