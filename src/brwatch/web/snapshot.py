"""A stored snapshot made safe to look at: text-like HTML only, nothing that runs or loads.

Three layers, so one mistake is not enough: nh3 keeps only inert text markup (no script, style,
event handler, URL-bearing attribute, form, image or embed); the result is shown in an iframe
with an empty `sandbox` (no scripts, no forms, no navigation of the page); and the frame's own
document carries `Content-Security-Policy: default-src 'none'`, so even a missed attribute
could not load anything.
"""

from __future__ import annotations

import gzip
import io
import zlib

import nh3

from brwatch.document import decode_html

# A snapshot bigger than this (uncompressed) is cut: nobody reviews 20 MB of markup.
MAX_SNAPSHOT_BYTES = 5 * 1024 * 1024

_TEXT_TAGS = {
    "a", "abbr", "article", "aside", "b", "blockquote", "br", "caption", "cite", "code",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "ins", "kbd", "li", "main",
    "mark", "nav", "ol", "p", "pre", "q", "s", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
# Links keep only their title: an href would let a click load the crawled site in the frame.
_ATTRIBUTES = {
    "a": {"title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Dropped with everything inside them, not just unwrapped.
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "svg",
    "math",
    "title",
    "head",
}

FRAME_HEAD = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
    "</head><body>"
)
FRAME_TAIL = "</body></html>"


class SnapshotUnreadable(ValueError):
    """The stored bytes are not gzip-compressed HTML."""


def _inflate(html_gz: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(html_gz)) as handle:
            return handle.read(MAX_SNAPSHOT_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise SnapshotUnreadable(f"stored snapshot is not gzip data: {exc}") from exc


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TEXT_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )


def snapshot_frame_document(html_gz: bytes, content_type: str | None = None) -> str:
    """The sanitised snapshot as a complete document for an iframe's srcdoc."""
    decoded = decode_html(_inflate(html_gz), content_type)
    return FRAME_HEAD + sanitise_html(decoded.text) + FRAME_TAIL
