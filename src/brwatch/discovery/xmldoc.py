"""Parsing untrusted XML (feeds, sitemaps) safely: no entities, no network, capped size."""

from __future__ import annotations

import gzip
import zlib

from lxml import etree

from brwatch.errors import BrwatchError

# A sitemap may be 50 MB uncompressed by the protocol; anything bigger is refused.
MAX_XML_BYTES = 50 * 1024 * 1024


class XmlError(BrwatchError, ValueError):
    """The document is not XML we can read; the message says why."""


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover, resolve_entities=False, no_network=True, huge_tree=False
    )


def gunzip_if_needed(body: bytes) -> bytes:
    """Sitemaps are often served as ``.xml.gz`` without Content-Encoding."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = decompressor.decompress(body, MAX_XML_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise XmlError(f"broken gzip: {exc}") from exc
    if len(data) > MAX_XML_BYTES:
        raise XmlError(f"more than {MAX_XML_BYTES} bytes once decompressed")
    return data


def parse_xml(body: bytes) -> tuple[etree._Element, str | None]:
    """The root element and, when the XML was malformed but recoverable, the parse error."""
    body = gunzip_if_needed(body).lstrip()
    if not body:
        raise XmlError("empty document")
    try:
        return etree.fromstring(body, _parser(recover=False)), None
    except etree.XMLSyntaxError as exc:
        problem = f"malformed XML: {exc}"
    root = etree.fromstring(body, _parser(recover=True))
    if root is None:
        raise XmlError(problem)
    return root, problem


def local(element: etree._Element) -> str:
    """The tag without its namespace, lower-cased ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first direct child with one of ``names`` (namespace-agnostic)."""
    for child in element:
        if local(child) in names:
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None
