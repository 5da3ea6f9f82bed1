"""One fetched page -> one processed article: parse once, extract, score, judge rights.

Pure CPU and no database, so the crawler can run it in worker processes; the result is a plain
picklable dataclass that `brwatch.pipeline.store` writes in batches.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from brwatch.document import FetchedPage, parse_document
from brwatch.extract.hub import HubCheck, read_page_kind
from brwatch.pipeline.stages import stages
from brwatch.pipeline.urls import normalise_url, same_site
from brwatch.provenance.index import fingerprint_bytes, fingerprint_text

log = logging.getLogger(__name__)

# Response headers worth keeping with a snapshot (evidence and conditional requests).
KEPT_HEADERS = (
    "content-type",
    "etag",
    "last-modified",
    "date",
    "x-robots-tag",
    "link",
    "content-language",
    "tdm-reservation",
    "tdm-policy",
)
# Extracted text this long is an article's: such a page is not checked for being a hub.
HUB_CHECK_BELOW = 2500
# Fast, and gzip level 6 is only a little smaller for five times the CPU.
SNAPSHOT_GZIP_LEVEL = 3


@dataclass(slots=True)
class ProcessedPage:
    """Everything the store needs about one page; ``error`` set means nothing to store."""

    url: str
    url_key: str
    source: str
    status: int
    fetched_at: datetime
    headers: dict[str, str]
    sha256: str
    html_gz: bytes
    canonical_url: str
    encoding: str | None = None
    article: dict[str, Any] = field(default_factory=dict)
    topic_score: float = 0.0
    relevant: bool = False
    topic_matches: list[Any] = field(default_factory=list)
    rights: dict[str, Any] | None = None
    error: str | None = None
    # Stage failures that did not stop the page (e.g. "rights: ValueError: …").
    warnings: list[str] = field(default_factory=list)
    # Discovery hints, JSON-ready, kept with the snapshot so a recheck sees what the crawl saw.
    hints: dict[str, Any] = field(default_factory=dict)
    # Set when the page, fetched as an article, is a hub (brwatch.extract.hub): the links the
    # source follows on it. Nothing else is filled in and nothing is stored.
    hub_links: list[str] | None = None
    # The names the page gives its site, with where each was found (learned per source).
    site_names: list[tuple[str, str]] = field(default_factory=list)
    # The MinHash signature of title + text (stored form), computed here in the worker so the
    # storing process only looks it up; None when the text is too short to compare.
    fingerprint: bytes | None = None
    # What the page says, hashed (content_hash): a re-fetch with the same hash stores nothing.
    content_hash: str | None = None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def rights_status(self) -> str | None:
        return (self.rights or {}).get("status")


def _as_datetime(value: Any) -> datetime | None:
    """Dates from extraction may be datetimes, dates or ISO strings; stored as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _json_hints(hints: dict[str, Any]) -> dict[str, Any]:
    """Hints as JSON values: dates as ISO 8601 text, anything else unusual as text."""
    ready: dict[str, Any] = {}
    for key, value in hints.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        ready[key] = value
    return ready


def _canonical_key(page_key: str, declared: str | None) -> str:
    """The article key: the page's declared canonical URL when it is on the same site.

    A canonical pointing to another site is a syndicated copy naming its original; keying it
    there would merge the reprint into the original publisher's article.
    """
    canonical = normalise_url(declared, page_key) if declared else None
    if canonical and same_site(canonical, page_key):
        return canonical
    return page_key


def _article_fields(article: Any) -> dict[str, Any]:
    authors = getattr(article, "authors", None) or []
    return {
        "title": getattr(article, "title", None) or None,
        "text": getattr(article, "text", None) or None,
        "authors": [str(a) for a in authors]
        if isinstance(authors, list | tuple)
        else [str(authors)],
        "published": _as_datetime(getattr(article, "published", None)),
        "lang": (getattr(article, "lang", None) or None),
        "site_name": getattr(article, "site_name", None) or None,
        "image": getattr(article, "image", None) or None,
        "canonical_url": getattr(article, "canonical_url", None) or None,
    }


def content_hash(article: dict[str, Any], rights: dict[str, Any] | None) -> str:
    """SHA-256 of what a page says: title, text, authors, date, language, and the verdict's
    grounds (status, licence, obligations, the evidence's rules and sentences). Not its bytes,
    which move with every clock or advertisement, nor the evidence's offsets into the page
    text, nor the ruleset (a rules change is `brwatch recheck`'s to apply)."""
    grounds = dict(rights or {})
    grounds.pop("ruleset", None)
    grounds["evidence"] = [
        {k: v for k, v in item.items() if k not in ("start", "end")}
        for item in grounds.get("evidence") or []
        if isinstance(item, dict)
    ]
    said = {k: article.get(k) for k in ("title", "text", "authors", "published", "lang")}
    encoded = json.dumps([said, grounds], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def process_page(page: FetchedPage, hub_check: HubCheck | None = None) -> ProcessedPage:
    """Run every CPU stage on one page. Never raises: a failure is reported in ``error``.

    With ``hub_check``, a page that turns out to be a hub comes back with ``hub_links`` and
    no article (extraction is not run for it)."""
    url_key = normalise_url(page.url) or page.url
    result = ProcessedPage(
        url=page.url,
        url_key=url_key,
        source=page.source or (urlsplit(page.url).hostname or "unknown"),
        status=page.status,
        fetched_at=page.fetched_at,
        headers={k: v for k, v in page.headers.items() if k in KEPT_HEADERS},
        sha256=hashlib.sha256(page.body).hexdigest(),
        html_gz=gzip.compress(page.body, SNAPSHOT_GZIP_LEVEL, mtime=0),
        canonical_url=url_key,
        hints=_json_hints(page.hints),
    )
    extract, score, judge = stages()
    try:
        document = parse_document(page)
        result.encoding = document.encoding
        article = extract(document)
        # A page whose extracted text is long is an article: the hub check (a walk over every
        # link) is only for the others.
        if hub_check is not None and len(getattr(article, "text", "") or "") < HUB_CHECK_BELOW:
            kind = read_page_kind(
                document.tree, page.url, hub_check.follows, min_links=hub_check.min_links
            )
            if kind.hub:
                result.hub_links = kind.links
                return result
    except Exception as exc:  # a bad page is reported and skipped, never the crawl
        log.warning("cannot extract %s: %s: %s", page.url, type(exc).__name__, exc)
        result.error = f"parse: {type(exc).__name__}: {exc}"
        return result
    if article is not None:
        result.article = _article_fields(article)
        result.site_names = [tuple(pair) for pair in getattr(article, "site_names", None) or []]
        result.canonical_url = _canonical_key(url_key, result.article.pop("canonical_url"))
        text = fingerprint_text(result.article["title"], result.article["text"])
        result.fingerprint = fingerprint_bytes(text)
    else:
        result.article.pop("canonical_url", None)
    if article is not None:
        try:
            topic = score(article)
            result.topic_score = float(topic.score)
            result.relevant = bool(topic.relevant)
            result.topic_matches = list(topic.matches or [])
        except Exception as exc:
            result.warnings.append(f"relevance: {type(exc).__name__}: {exc}")
    try:
        result.rights = judge(document, article).to_dict()
    except Exception as exc:
        # No verdict rather than a wrong one; the page is still stored and counted.
        result.warnings.append(f"rights: {type(exc).__name__}: {exc}")
    result.content_hash = content_hash(result.article, result.rights)
    return result
