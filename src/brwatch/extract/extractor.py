"""extract_article: one Document in, one ExtractedArticle out, the tree parsed once upstream.

Precedence for every field: what discovery already knew (feed / news-sitemap hints), then what
the page declares in machine-readable form (JSON-LD, meta tags), then what the visible page shows
(headings, datelines), then heuristics (htmldate).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from brwatch.document import Document
from brwatch.extract.article import ExtractedArticle
from brwatch.extract.authors import page_authors
from brwatch.extract.body import DEFAULT_BODY, BodySettings, extract_body
from brwatch.extract.dates import publication_date
from brwatch.extract.language import choose_language
from brwatch.extract.metadata import PageMetadata, ld_names, ld_text, ld_url, read_metadata
from brwatch.extract.sitename import site_names
from brwatch.extract.titles import choose_title
from brwatch.extract.visible import VisiblePieces


def extract_article(doc: Document, settings: BodySettings = DEFAULT_BODY) -> ExtractedArticle:
    """Every article field from the parsed page; fields the page does not give stay empty."""
    tree = doc.tree
    meta = read_metadata(tree)
    hints = doc.hints or {}
    ld = meta.jsonld
    site_name = _site_name(meta)
    text = extract_body(tree, doc.url, settings)
    headline = ld_text(ld.get("headline") or ld.get("name"))
    visible = VisiblePieces(tree)  # read at most once, by the title and the date searches
    title = choose_title(hints.get("title"), headline, meta, site_name, tree, text, visible)
    names = site_names(tree, meta, title)
    published, date_source = publication_date(hints, meta, title, tree, doc.url, visible)
    lang = choose_language(
        [
            hints.get("lang"),
            ld_text(ld.get("inLanguage")),
            meta.html_lang,
            meta.meta.get("content-language"),
            meta.meta.get("og:locale"),
            meta.meta.get("dc.language"),
            meta.meta.get("language"),
        ],
        f"{title or ''} {text}",
    )
    return ExtractedArticle(
        title=title,
        text=text,
        authors=page_authors(meta),
        published=published,
        date_source=date_source,
        lang=lang,
        canonical_url=_absolute(doc.url, meta.canonical or meta.meta.get("og:url"))
        or _web_url(doc.url),
        # The declared name, else the first the page shows (title suffix, logo, copyright).
        site_name=site_name or (names[0][0] if names else None),
        site_names=names,
        image=_absolute(
            doc.url,
            meta.meta.get("og:image")
            or meta.meta.get("og:image:url")
            or meta.meta.get("twitter:image")
            or ld_url(ld.get("image")),
        ),
        description=meta.meta.get("og:description")
        or meta.meta.get("description")
        or meta.meta.get("twitter:description")
        or ld_text(ld.get("description")),
    )


def _site_name(meta: PageMetadata) -> str | None:
    publisher = ld_names(meta.jsonld.get("publisher"))
    return (
        meta.meta.get("og:site_name")
        or (publisher[0] if publisher else None)
        or meta.jsonld_publisher
        or meta.meta.get("application-name")
    )


def _web_url(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _absolute(base: str | None, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _web_url(urljoin(base or "", value.strip()))
