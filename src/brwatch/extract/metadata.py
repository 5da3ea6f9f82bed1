"""What the page declares about itself: meta tags, JSON-LD, <link rel>, <html lang>, headings.

One pass over the already-parsed tree collects every candidate; the extractor then decides
which wins. Nothing here fetches or re-parses.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "scholarlyarticle",
    "report",
    "techarticle",
    "socialmediaposting",
}
# JSON-LD script types compare case-insensitively in ASCII only (as XPath translate() would).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Meta names whose every occurrence matters (a page may list several authors).
_MULTI = {
    "author",
    "article:author",
    "dc.creator",
    "citation_author",
    "sailthru.author",
    "byl",
    "parsely-author",
}


def clean_space(text: str | None) -> str:
    # str.split() splits on exactly the characters \s matches: runs become one space, trimmed.
    return " ".join(text.split()) if text else ""


def clean_value(text: str | None) -> str:
    """A metadata value: whitespace-normalised and un-escaped once more, since CMSs often
    escape twice ('&quot;headline&quot;' in og:title and JSON-LD)."""
    value = clean_space(text)
    return clean_space(html.unescape(value)) if "&" in value else value


@dataclass(slots=True)
class PageMetadata:
    """Raw candidates, keyed by where they were found; values are whitespace-normalised."""

    meta: dict[str, str] = field(default_factory=dict)
    meta_multi: dict[str, list[str]] = field(default_factory=dict)
    jsonld: dict[str, Any] = field(default_factory=dict)  # the page's article object, if any
    jsonld_publisher: str | None = None
    title_tag: str = ""
    headings: list[str] = field(default_factory=list)  # h1 texts, in order
    canonical: str | None = None
    html_lang: str | None = None
    time_datetimes: list[str] = field(default_factory=list)  # <time datetime> values


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """Collect metadata candidates from the tree (never raises on odd markup)."""
    found = PageMetadata()
    found.html_lang = clean_space(tree.get("lang") or tree.get("xml:lang")) or None
    ld_scripts: list[etree._Element] = []
    # One walk over the tree for every tag read here.
    for element in tree.iter("meta", "link", "title", "h1", "time", "script"):
        tag = element.tag
        if tag == "script":
            if (element.get("type") or "").translate(_ASCII_LOWER) == "application/ld+json":
                ld_scripts.append(element)
        elif tag == "meta":
            _read_meta(element, found)
        elif tag == "link":
            rel = (element.get("rel") or "").lower().split()
            if "canonical" in rel and not found.canonical and element.get("href"):
                found.canonical = element.get("href", "").strip()
        elif tag == "title":
            if not found.title_tag:
                found.title_tag = clean_space(element.text_content())
        elif tag == "h1":
            text = clean_space(element.text_content())
            if text:
                found.headings.append(text)
        elif element.get("datetime"):
            found.time_datetimes.append(element.get("datetime", "").strip())
    _read_jsonld(ld_scripts, found)
    return found


def _read_meta(element: etree._Element, found: PageMetadata) -> None:
    content = element.get("content")
    if content is None:
        return
    content = clean_value(content)
    if not content:
        return
    for attribute in ("property", "name", "itemprop", "http-equiv"):
        key = (element.get(attribute) or "").strip().lower()
        if not key:
            continue
        found.meta.setdefault(key, content)
        if key in _MULTI:
            found.meta_multi.setdefault(key, []).append(content)


def _read_jsonld(scripts: list[etree._Element], found: PageMetadata) -> None:
    for script in scripts:
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; the other sources still count
        for item in _ld_objects(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            names = {str(kind).lower() for kind in kinds if kind}
            if names & _ARTICLE_TYPES and not found.jsonld:
                found.jsonld = item
            elif names & {"organization", "newsmediaorganization", "website"}:
                found.jsonld_publisher = found.jsonld_publisher or _ld_name(item)


def _ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object at the top level, inside lists and inside @graph."""
    if isinstance(data, list):
        for entry in data:
            yield from _ld_objects(entry)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _ld_objects(graph)


def _ld_name(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_value(value) or None
    if isinstance(value, dict):
        return _ld_name(value.get("name"))
    if isinstance(value, list) and value:
        return _ld_name(value[0])
    return None


def ld_names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation value (string, object or list)."""
    if isinstance(value, list):
        return [name for entry in value for name in ld_names(entry)]
    name = _ld_name(value)
    return [name] if name else []


def ld_url(value: Any) -> str | None:
    """A URL from a JSON-LD image/url value (string, ImageObject or list)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return ld_url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return ld_url(value[0])
    return None


def ld_text(value: Any) -> str | None:
    """A plain string from a JSON-LD value that should be text."""
    if isinstance(value, str):
        return clean_value(value) or None
    if isinstance(value, list) and value:
        return ld_text(value[0])
    return None
