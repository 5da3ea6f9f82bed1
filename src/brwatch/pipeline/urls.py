"""URL keys: one spelling per page, so a page is fetched and stored once.

Two links name the same page when they differ only in host case, a default port, a fragment,
query-parameter order or tracking parameters (``utm_*``, ``fbclid``, Al Jazeera's
``traffic_source`` …). The key is also what `SeenUrl` remembers across runs.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import safe_url_string

# Tracking parameters courlan does not know about; seen in real feeds (see SOURCES-RESEARCH.md).
_EXTRA_TRACKERS = re.compile(
    r"^(?:traffic_source|spm|ocid|cmpid|ncid|sr_share|share_token|rss_source|from_rss|at_[a-z]+)$",
    re.IGNORECASE,
)


def normalise_url(url: str, base: str | None = None) -> str | None:
    """The key of ``url`` (resolved against ``base``), or None when it is not an http(s) URL."""
    url = (url or "").strip()
    if not url:
        return None
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        cleaned = normalize_url(safe_url_string(url), strict=False)
    except (ValueError, UnicodeError):
        return None
    parts = urlsplit(cleaned)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _EXTRA_TRACKERS.match(k)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same host (ignoring a leading ``www.``)."""

    def host(u: str) -> str:
        name = (urlsplit(u).hostname or "").lower()
        return name[4:] if name.startswith("www.") else name

    return host(url) == host(other)
