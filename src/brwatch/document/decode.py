"""Turn page bytes into text, whatever the page claims about its encoding.

Order of trust: a byte-order mark; then bytes that are valid UTF-8 (a saved page often declares
GB2312 but was re-encoded to UTF-8, and real GBK text is almost never valid UTF-8); then the HTTP
header and the meta tag; then statistical detection. GB2312 and GBK are decoded as their superset
GB18030, and ISO-8859-1 as Windows-1252, as browsers do.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import http_content_type_encoding, html_body_declared_encoding

# Browsers decode these labels with a superset; so do we.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "big5": "big5hkscs",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "tis-620": "cp874",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    # Where the encoding came from: bom, utf8-valid, header, meta, detected, fallback.
    basis: str


def _normalise(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(label, _SUPERSETS.get(name, name))


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_cjk(text: str) -> bool:
    non_ascii = [c for c in text[:100_000] if ord(c) > 127]
    if not non_ascii:
        return False
    cjk = sum(1 for c in non_ascii if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return cjk / len(non_ascii) > 0.9


def decode_html(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode an HTML (or XML) body; never raises, at worst replaces undecodable bytes."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return DecodedText(body[len(bom) :].decode(encoding, "replace"), encoding, "bom")
    if not _NON_ASCII.search(body):
        return DecodedText(body.decode("ascii"), "utf-8", "utf8-valid")
    text = _strict(body, "utf-8")
    if text is not None:
        return DecodedText(text, "utf-8", "utf8-valid")
    header = _normalise(http_content_type_encoding(content_type)) if content_type else None
    meta = _normalise(html_body_declared_encoding(body[:4096]))
    for basis, encoding in (("header", header), ("meta", meta)):
        if encoding and encoding not in ("utf-8", "utf-16", "utf-32"):
            text = _strict(body, encoding)
            if text is not None:
                return DecodedText(text, encoding, basis)
    text = _strict(body, "gb18030")
    if text is not None and _mostly_cjk(text):
        # Undeclared Chinese pages are the common case in our sources; detectors misjudge short ones.
        return DecodedText(text, "gb18030", "detected")
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None:
        encoding = _normalise(best.encoding) or best.encoding
        return DecodedText(body.decode(encoding, "replace"), encoding, "detected")
    declared = header or meta or "cp1252"
    return DecodedText(body.decode(declared, "replace"), declared, "fallback")
