"""What a source lists: RSS/Atom feeds, sitemaps (news sitemaps and indexes included) and the
``Sitemap:`` lines of robots.txt, read from untrusted XML safely. The crawler's spider and
``brwatch sources --check`` read them with the same parsers.

- `parse_feed(body) -> Feed`, `parse_sitemap(body) -> Sitemap`, `robots_sitemaps(body)`;
  `XmlError` when a body is not such a document.
"""

from brwatch.discovery.feeds import Feed, FeedEntry, parse_date, parse_feed
from brwatch.discovery.sitemaps import Sitemap, SitemapEntry, parse_sitemap, robots_sitemaps
from brwatch.discovery.xmldoc import XmlError

__all__ = [
    "Feed",
    "FeedEntry",
    "Sitemap",
    "SitemapEntry",
    "XmlError",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "robots_sitemaps",
]
