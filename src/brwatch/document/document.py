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
from brwatch.document.nesting import flatten_nesting, may_nest_deeper

# A page larger than this is made to fit before parsing (fit_for_parsing); the crawler refuses
# far larger ones outright.
MAX_PARSE_CHARS = 8_000_000
# What of a page's end is kept whatever its size: footers and their notices sit there.
KEPT_TAIL_CHARS = 1_000_000
# Scripts and styles are never page text; a huge page is first made smaller without them.
_SCRIPT_OR_STYLE = re.compile(r"(<(script|style)\b[^>]*>).*?(</\2\s*>)", re.IGNORECASE | re.DOTALL)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_DECLARATION_BYTES = re.compile(rb"^\s*<\?xml")
# lxml reads UTF-8 bytes about twice as fast as a str (which it re-encodes first). huge_tree
# lifts libxml2's depth limit from 256 to 2,048 levels (deeper pages are flattened first,
# nesting.py): past the limit libxml2 drops the rest of the page.
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
# End tags that HTML (and lexbor) read differently from libxml2: "</br>" is a line break, and
# "</body>" or "</html>" before the end of the page closes nothing (libxml2 drops all that
# follows: one corpus page keeps its whole article after a stray "</html>"). Rewritten as HTML
# reads them, so both parsers build the same page.
_END_TAGS = re.compile(r"</(br|body|html)\s*>", re.IGNORECASE)
# <noscript> is markup to libxml2 and text to an HTML parser (which moves a head's noscript
# text into the body); a browser running scripts shows none of it. Left out for every parser.
_NOSCRIPT = re.compile(r"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)
_NOSCRIPT_BYTES = re.compile(rb"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)
_END_TAGS_BYTES = re.compile(rb"</(br|body|html)\s*>", re.IGNORECASE)


def _html5_end_tag(match: re.Match[Any]) -> Any:
    is_br = match.group(1).lower() in ("br", b"br")
    replacement = "<br>" if is_br else ""
    return replacement.encode() if isinstance(match.group(0), bytes) else replacement


_TEXT_PARSER = lxml.html.HTMLParser(huge_tree=True)


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
        "__dict__", "encoding", "encoding_basis", "headers", "hints", "text", "truncated", "url",
        "utf8",
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
        # Whether the page had to be cut to be parsed (its verdict then says so).
        self.truncated = False
        if len(text) > MAX_PARSE_CHARS:
            text, self.truncated = fit_for_parsing(text)
        self.text = text
        # The page's own bytes when they are exactly ``text`` in UTF-8 (parsed directly; byte
        # scans reuse them instead of encoding the text again); else None.
        self.utf8 = utf8
        self.url = url
        self.encoding = encoding
        self.encoding_basis = encoding_basis
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.hints = dict(hints or {})

    @cached_property
    def markup(self) -> bytes | str:
        """What every parser reads: the page's own UTF-8 bytes when it has them, else its text
        without an XML declaration (lxml refuses a str that carries one; the text is decoded
        already, so it has nothing left to say). Markup nested deeper than parsers read is
        flattened first, so lxml and lexbor see the same, complete page."""
        if self.utf8 is not None and not may_nest_deeper(self.utf8):
            return _NOSCRIPT_BYTES.sub(b"", _END_TAGS_BYTES.sub(_html5_end_tag, self.utf8))
        # NUL is no character of HTML: parsers drop it or stop at it, each its own way.
        text = _XML_DECLARATION.sub("", self.text, count=1).replace("\0", "\ufffd")
        text = _NOSCRIPT.sub("", _END_TAGS.sub(_html5_end_tag, text))
        return flatten_nesting(text) if may_nest_deeper(text) else text

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        """The lxml tree of the page; an empty <html> for input lxml cannot parse at all."""
        markup = self.markup
        try:
            # (isspace, not strip: strip copies the whole page)
            if not markup or markup.isspace():
                root = None
            elif isinstance(markup, bytes):
                root = lxml.html.document_fromstring(markup, parser=_UTF8_PARSER)
            else:
                root = lxml.html.document_fromstring(markup, parser=_TEXT_PARSER)
        except (etree.ParserError, ValueError):
            root = None
        if root is None:
            root = lxml.html.document_fromstring("<html><body></body></html>")
        return root


def fit_for_parsing(text: str) -> tuple[str, bool]:
    """A page too large to parse, made to fit: the contents of its scripts and styles go
    first (they are never page text, and a page with a huge inline JSON script is otherwise
    small); if that is not enough, its middle goes, keeping its start and its last
    KEPT_TAIL_CHARS (the footer). -> (text, whether anything but scripts and styles was cut)."""
    text = _SCRIPT_OR_STYLE.sub(r"\1\3", text)
    if len(text) <= MAX_PARSE_CHARS:
        return text, False
    head = MAX_PARSE_CHARS - KEPT_TAIL_CHARS
    return text[:head] + "\n<!-- brwatch: cut for size -->\n" + text[-KEPT_TAIL_CHARS:], True


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
