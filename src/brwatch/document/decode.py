"""Turn page bytes into text, whatever the page claims about its encoding.

Order of trust: a byte-order mark; then bytes that are valid UTF-8 (a saved page often declares
GB2312 but was re-encoded to UTF-8, and real GBK text is almost never valid UTF-8); then the HTTP
header and the meta tag, when the bytes agree with them; then Chinese (GB18030) when the bytes
read as Chinese; then statistical detection limited to encodings the web actually uses.

GB2312 and GBK are decoded as their superset GB18030, and ISO-8859-1 as Windows-1252, as browsers
do. Real pages are often cut mid-character (a title truncated at N bytes), so an encoding is
accepted when almost all of its bytes decode; the few broken ones become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

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
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ASCII = bytes(range(128))  # deleting these leaves the non-ASCII bytes, to count them
# Statistical detection only chooses among encodings news sites really use: unrestricted, the
# detector picks exotic near-twins (ptcp154 for GBK, mac-latin2 for ISO-8859-2, ISO-8859-10 for
# Windows-1252) that garble the text.
_WEB_ENCODINGS = [
    "cp1252",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "iso8859_15",
    "gb18030",
    "big5",
    "cp932",
    "euc_jp",
    "cp949",
]
# Detector results this close in "chaos" (0..1, mess in the decoded text) count as a tie.
_CHAOS_TIE = 0.01
# Share of undecodable bytes (against all non-ASCII bytes) an encoding may leave and still win.
_MAX_BROKEN_SHARE = 0.02
_MIN_BROKEN_ALLOWED = 4
_GB2312_PAIR = re.compile(rb"[\xa1-\xf7][\xa1-\xfe]")
_MIN_GB2312_SHARE = 0.8
# Python's GB18030 (the 2000 edition) maps byte pair A3A0 to a private-use character;
# browsers and GB18030-2022 read it as the ideographic space.
_GB18030_FIXES = str.maketrans({"\ue5e5": "\u3000"})


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


def _decode(body: bytes, encoding: str) -> str:
    text = body.decode(encoding, "replace")
    return text.translate(_GB18030_FIXES) if encoding == "gb18030" else text


def _tolerant(body: bytes, encoding: str, non_ascii: int) -> str | None:
    """The text if `encoding` decodes all but a negligible share of the bytes, else None."""
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        return _near(body, encoding, non_ascii)
    except LookupError:
        return None
    return text.translate(_GB18030_FIXES) if encoding == "gb18030" else text


def _near(body: bytes, encoding: str, non_ascii: int) -> str | None:
    text = _decode(body, encoding)
    broken = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    if broken <= max(_MIN_BROKEN_ALLOWED, non_ascii * _MAX_BROKEN_SHARE):
        return text
    return None


def _chinese(body: bytes, non_ascii: int) -> str | None:
    """GB18030 text when the bytes are Chinese, else None.

    GBK accepts an ASCII letter as second byte, so Latin-1 text ("ü" + "b") also decodes as
    GBK; but Chinese prose is made of GB2312 pairs, both bytes at or above A1.
    """
    paired_bytes = len(body) - len(_GB2312_PAIR.sub(b"", body))
    if paired_bytes < non_ascii * _MIN_GB2312_SHARE:
        return None
    return _tolerant(body, "gb18030", non_ascii)


def _detect(body: bytes) -> str | None:
    """Statistical detection among web encodings; on a tie, Windows-1252, as browsers fall back
    to it (a short German or French text reads equally well as Windows-1250 or -1257)."""
    matches = list(charset_normalizer.from_bytes(body[:200_000], cp_isolation=_WEB_ENCODINGS))
    if not matches:
        return None
    least_chaos = min(match.chaos for match in matches)
    tied = [match.encoding for match in matches if match.chaos <= least_chaos + _CHAOS_TIE]
    best = "cp1252" if "cp1252" in tied else matches[0].encoding
    return _normalise(best) or best


def declared_encodings(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """The encodings the HTTP header and the page's own meta tag claim (normalised), if any."""
    header = _normalise(http_content_type_encoding(content_type)) if content_type else None
    meta = _normalise(html_body_declared_encoding(body[:4096]))
    return header, meta


def decode_html(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode an HTML (or XML) body; never raises, at worst replaces undecodable bytes."""
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return DecodedText(
                body[len(bom) :].decode(bom_encoding, "replace"), bom_encoding, "bom"
            )
    try:
        return DecodedText(body.decode("utf-8"), "utf-8", "utf8-valid")
    except UnicodeDecodeError:
        pass
    non_ascii = len(body.translate(None, _ASCII))
    header, meta = declared_encodings(body, content_type)
    chinese: str | None = None
    # A declaration counts only when the bytes agree with it (UTF-8 included: a page may be
    # UTF-8 with a few broken sequences; if it were fully valid it was taken above).
    for basis, encoding in (("header", header), ("meta", meta)):
        if not encoding or encoding in ("utf-16", "utf-32"):
            continue
        if encoding == "cp1252":
            # ISO-8859-1 decodes any bytes, so it cannot disagree, and servers send it as a
            # default for GBK pages. Chinese wins when the bytes read as such.
            chinese = _chinese(body, non_ascii)
            if chinese is not None:
                return DecodedText(chinese, "gb18030", "detected")
        text = _tolerant(body, encoding, non_ascii)
        if text is not None:
            return DecodedText(text, encoding, basis)
    chinese = chinese or _chinese(body, non_ascii)
    if chinese is not None:
        # Undeclared Chinese pages are the common case in our sources; detectors misjudge them.
        return DecodedText(chinese, "gb18030", "detected")
    detected = _detect(body)
    if detected is not None:
        return DecodedText(_decode(body, detected), detected, "detected")
    declared = header or meta or "cp1252"
    return DecodedText(_decode(body, declared), declared, "fallback")
