"""What a feed or sitemap entry point actually serves: the expected kind of document, and how new
its newest item is. The research behind the bundled sources found feeds that answer 200 with an
HTML page, and feeds frozen for years; a status code alone says neither."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from brwatch.discovery import XmlError, parse_feed, parse_sitemap, robots_sitemaps
from brwatch.sources.model import EntryKind

PEEK_BYTES = 2 * 1024 * 1024  # enough for any news feed and the newest part of a sitemap
# A page where a feed, sitemap or robots.txt should be: the parsers would say only "not XML".
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.IGNORECASE | re.DOTALL)


def judge_contents(
    kind: EntryKind, url: str, body: bytes, stale_after: timedelta, now: datetime | None = None
) -> tuple[str, str]:
    """("ok" | "stale" | "wrong_content", detail) for a feed or sitemap body (maybe truncated),
    read by the crawler's own parsers (brwatch.discovery)."""
    now = now or datetime.now(UTC)
    if kind == "sitemap" and urlsplit(url).path.endswith("robots.txt"):
        if _HTML.match(body):
            return "wrong_content", "answers an HTML page, not robots.txt"
        listed = robots_sitemaps(body)
        if not listed:
            return "wrong_content", "robots.txt lists no Sitemap"
        return "ok", f"robots.txt lists {len(listed)} sitemap{'s' if len(listed) != 1 else ''}"
    expected = "feed" if kind == "feed" else "sitemap"
    if _HTML.match(body[:4096]):
        return "wrong_content", f"answers an HTML page, not a {expected}"
    try:
        newest = newest_date(body, expected)
    except XmlError as exc:
        return "wrong_content", f"not an RSS/Atom/sitemap document (expected a {expected}: {exc})"
    if newest is None:
        return "ok", f"{expected}, no dated items"
    age = now - newest
    if age > stale_after:
        return "stale", f"newest item {newest:%Y-%m-%d} ({age.days} days old)"
    return "ok", f"{expected}, newest item {newest:%Y-%m-%d %H:%M} UTC"


def newest_date(body: bytes, kind: str = "feed") -> datetime | None:
    """The latest item date of a feed (any item) or a sitemap (lastmod or news publication
    date), in UTC; XmlError when the body is not that kind of document."""
    if kind == "feed":
        newest = parse_feed(body).newest
        return datetime.fromisoformat(newest).astimezone(UTC) if newest else None
    dates = [
        datetime.fromisoformat(date).astimezone(UTC)
        for entry in parse_sitemap(body).entries
        for date in (entry.lastmod, entry.published)
        if date
    ]
    return max(dates, default=None)
