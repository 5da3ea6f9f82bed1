"""What a feed or sitemap entry point actually serves: the expected kind of document, and how new
its newest item is. The research behind the bundled sources found feeds that answer 200 with an
HTML page, and feeds frozen for years; a status code alone says neither."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from brwatch.sources.model import EntryKind

PEEK_BYTES = 2 * 1024 * 1024  # enough for any news feed and the newest part of a sitemap
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.IGNORECASE | re.DOTALL)
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s/>]", re.IGNORECASE)
_SITEMAP_ROOT = re.compile(rb"<(urlset|sitemapindex)[\s/>]", re.IGNORECASE)
_DATES = re.compile(
    rb"<(pubDate|updated|published|dc:date|lastmod|news:publication_date)>\s*([^<]{6,40}?)\s*</",
    re.IGNORECASE,
)
_ROBOTS_SITEMAP = re.compile(rb"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def judge_contents(
    kind: EntryKind, url: str, body: bytes, stale_after: timedelta, now: datetime | None = None
) -> tuple[str, str]:
    """("ok" | "stale" | "wrong_content", detail) for a feed or sitemap body (maybe truncated)."""
    now = now or datetime.now(UTC)
    if kind == "sitemap" and urlsplit(url).path.endswith("robots.txt"):
        listed = _ROBOTS_SITEMAP.findall(body)
        if _HTML.match(body):
            return "wrong_content", "answers an HTML page, not robots.txt"
        if not listed:
            return "wrong_content", "robots.txt lists no Sitemap"
        return "ok", f"robots.txt lists {len(listed)} sitemap{'s' if len(listed) != 1 else ''}"
    expected, root = ("feed", _FEED_ROOT) if kind == "feed" else ("sitemap", _SITEMAP_ROOT)
    head = body[:4096]
    if _HTML.match(head):
        return "wrong_content", f"answers an HTML page, not a {expected}"
    if not root.search(head):
        return "wrong_content", f"not an RSS/Atom/sitemap document (expected a {expected})"
    newest = newest_date(body)
    if newest is None:
        return "ok", f"{expected}, no dated items"
    age = now - newest
    if age > stale_after:
        return "stale", f"newest item {newest:%Y-%m-%d} ({age.days} days old)"
    return "ok", f"{expected}, newest item {newest:%Y-%m-%d %H:%M} UTC"


def newest_date(body: bytes) -> datetime | None:
    """The latest item date in a feed or sitemap (RFC 822 or ISO 8601), in UTC."""
    newest: datetime | None = None
    for _tag, raw in _DATES.findall(body):
        moment = _parse_date(raw.decode("ascii", "replace"))
        if moment is not None and (newest is None or moment > newest):
            newest = moment
    return newest


def _parse_date(text: str) -> datetime | None:
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
