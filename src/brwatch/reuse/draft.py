"""Reading a draft (HTML, Markdown or plain text) into its text and its links."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
from lxml import etree

from brwatch.errors import BrwatchError

MAX_DRAFT_BYTES = 20_000_000

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_REF = re.compile(r"^\s*\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BARE_URL = re.compile(r"https?://[^\s<>\"'）)\]，。、]+")
_HTML_HINT = re.compile(r"<(html|body|p|div|a\s|h[1-6]|article|span|br)\b", re.IGNORECASE)
_MD_HINT = re.compile(r"(^#{1,6}\s|\[[^\]]+\]\([^)]+\)|^\s*[-*]\s|\*\*[^*]+\*\*)", re.MULTILINE)


_UTF8_HTML = lxml.html.HTMLParser(encoding="utf-8")


class DraftError(BrwatchError, ValueError):
    """The draft cannot be read; the message names the file and the reason."""


@dataclass
class Link:
    url: str
    text: str = ""


@dataclass
class Draft:
    text: str
    links: list[Link] = field(default_factory=list)
    format: str = "text"  # html | markdown | text
    sha256: str = ""
    name: str = "<draft>"


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DraftError(f"{name}: looks like a binary file, not a draft (HTML, Markdown or text)")
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DraftError(f"{name}: cannot decode the draft as text (not UTF-8 or a known encoding)")
    return str(best)


def _from_html(source: str) -> tuple[str, list[Link]]:
    try:
        # UTF-8 bytes with a UTF-8 parser: lxml refuses str input that carries an XML
        # encoding declaration, and would guess Latin-1 for bytes without a charset.
        root = lxml.html.document_fromstring(source.encode("utf-8"), parser=_UTF8_HTML)
    except (etree.ParserError, ValueError) as exc:
        raise DraftError(f"cannot parse the HTML draft: {exc}") from exc
    for bad in root.xpath("//script|//style|//template"):
        bad.drop_tree()
    links = [
        Link((a.get("href") or "").strip(), " ".join(a.text_content().split()))
        for a in root.iter("a")
        if a.get("href")
    ]
    text = " ".join(root.text_content().split())
    # A URL written out in the text counts as a link too ("原文链接：http://…").
    links += [Link(u) for u in _BARE_URL.findall(text)]
    return text, links


def _from_markdown(source: str) -> tuple[str, list[Link]]:
    links = [Link(m.group(2), m.group(1)) for m in _MD_LINK.finditer(source)]
    links += [Link(m.group(2), m.group(1)) for m in _MD_REF.finditer(source)]
    links += [Link(u) for u in _AUTOLINK.findall(source)]
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", source)
    links += [Link(u) for u in _BARE_URL.findall(_AUTOLINK.sub("", _MD_LINK.sub("", source)))]
    text = re.sub(r"[*_`#>]+", " ", text)
    return " ".join(text.split()), links


def parse_draft(data: bytes | str, name: str = "<draft>") -> Draft:
    """A draft from its bytes or text; the format is recognised from the content."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    source = data if isinstance(data, str) else _decode(data, name)
    if not source.strip():
        raise DraftError(f"{name}: the draft is empty")
    if _HTML_HINT.search(source[:20000]) or name.lower().endswith((".html", ".htm")):
        fmt, (text, links) = "html", _from_html(source)
    elif _MD_HINT.search(source) or name.lower().endswith((".md", ".markdown")):
        fmt, (text, links) = "markdown", _from_markdown(source)
    else:
        fmt, text, links = (
            "text",
            " ".join(source.split()),
            [Link(u) for u in _BARE_URL.findall(source)],
        )
    unique = list({(link.url, link.text): link for link in links}.values())
    return Draft(text, unique, fmt, hashlib.sha256(raw).hexdigest(), name)


def read_draft(path: str | Path) -> Draft:
    """Read a draft file (``-`` is not accepted here: the CLI reads stdin itself)."""
    file = Path(path)
    try:
        if not file.is_file():
            reason = "is a directory" if file.is_dir() else "does not exist"
            raise DraftError(f"{file}: the draft {reason}")
        if file.stat().st_size > MAX_DRAFT_BYTES:
            raise DraftError(f"{file}: the draft is larger than {MAX_DRAFT_BYTES} bytes")
        data = file.read_bytes()
    except OSError as exc:
        raise DraftError(f"{file}: cannot read the draft ({exc.strerror or exc})") from exc
    return parse_draft(data, str(file))
