"""Input that is not an HTML page: plain text is read as text, binary or empty input is refused.

A text file (a notice pasted into a file, an article copied from a site) becomes a page of
paragraphs, one per block between blank lines, so the rights engine reads its sentences exactly
as it reads a page's paragraphs. Hard-wrapped lines inside a block are joined; list items
("•", "-", "1.") stay paragraphs of their own.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from brwatch.document.decode import decode_html

InputKind = Literal["html", "text", "binary", "empty"]

# Markup that only an HTML (or XHTML) page starts with or contains near its start.
_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|meta|title|p|div|span|a|br|table|article|section|script"
    rb"|style|h[1-6]|ul|ol|li|img|link|main|header|footer|nav|font|center|\?xml)[\s>/]",
    re.IGNORECASE,
)
_SNIFF_BYTES = 65536
# Bytes that never occur in text: NUL and the C0 controls other than tab, newlines, form feed
# and escape.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_MAX_BINARY_SHARE = 0.01
_BLOCKS = re.compile(r"\n[ \t\u3000]*\n+")
_LIST_ITEM = re.compile(r"^\s*(?:[•·▪◦●*-]|\d{1,3}[.)、])\s")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def input_kind(body: bytes, content_type: str | None = None) -> InputKind:
    """What a file or response holds: an HTML page, plain text, binary data, or nothing."""
    if not body.strip():
        return "empty"
    head = body[:_SNIFF_BYTES]
    if not head.startswith(_UTF16_BOMS):
        controls = len(_BINARY.findall(head))
        if b"\x00" in head or controls > _MAX_BINARY_SHARE * len(head):
            return "binary"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "text/plain":
        return "text"
    if ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", "replace").encode("utf-8")
    return "html" if _MARKUP.search(head) else "text"


def html_from_text(body: bytes) -> str:
    """A plain-text file as a page: <title> from the first line, one <p> per block."""
    text = decode_html(body).text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    for block in _BLOCKS.split(text.strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        current: list[str] = []
        for line in lines:
            if _LIST_ITEM.match(line) and current:
                paragraphs.append(" ".join(current))
                current = []
            current.append(line)
        if current:
            paragraphs.append(" ".join(current))
    title = paragraphs[0] if paragraphs else ""
    body_html = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title[:300], quote=False)}</title></head>"
        f"<body><article>\n{body_html}\n</article></body></html>"
    )
