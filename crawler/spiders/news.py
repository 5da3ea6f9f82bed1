"""The one spider: feeds, sitemaps and listing pages of every source, down to article pages.

What a link is (article, next listing page), how URLs are keyed and how feeds and sitemaps
read are decided in `crawler.links`, `crawler.feeds`, `crawler.sitemaps` and
`brwatch.pipeline.urls`; this module only turns those answers into requests and items.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from brwatch.cluster.frontier import Claim
from brwatch.cluster.leases import UrlLeases
from brwatch.document import FetchedPage, parse_document
from brwatch.pipeline import Visit, normalise_url
from brwatch.pipeline.urls import same_site
from brwatch.sources import Source
from brwatch.storage.articles import SeenInfo
from crawler.errors import error_kind, http_status
from crawler.feeds import FeedEntry, parse_feed
from crawler.links import ListingBudget, listing_links
from crawler.sitemaps import SitemapEntry, parse_sitemap, robots_sitemaps
from crawler.xmldoc import XmlError

# Content types that are not article pages (a feed may link to a PDF or an image).
_HTML_TYPES = re.compile(rb"html|xml|^$|text/plain", re.IGNORECASE)
# Statuses that say "this URL has nothing": remembered, so later runs do not fetch them again.
GONE = (404, 410)


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


def _hints(via: str, response: Response, entry: FeedEntry | SitemapEntry, **extra: Any) -> dict:
    """What a feed or sitemap says about an article, handed to extraction with the page."""
    return {
        "via": via,
        f"{via}_url": response.url,
        "title": entry.title,
        "published": entry.published,
        "lang": entry.lang,
        **extra,
    }


class NewsSpider(Spider):
    name = "news"

    def __init__(
        self,
        sources: list[Source],
        seen: dict[str, SeenInfo] | None = None,
        *args: Any,
        leases: UrlLeases | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        self.by_name = {source.name: source for source in self.sources}
        self.seen = seen or {}
        self.queued: set[str] = set()
        # On many hosts (`brwatch worker`): article URLs are claimed in the shared frontier
        # instead of looked up in ``seen`` (brwatch.cluster.frontier).
        self.leases = leases

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_listing_pages = settings.getint("BRWATCH_MAX_LISTING_PAGES")
        spider.max_child_sitemaps = settings.getint("BRWATCH_MAX_CHILD_SITEMAPS")
        spider.max_sitemap_urls = settings.getint("BRWATCH_MAX_SITEMAP_URLS")
        spider.listing_budget = ListingBudget(spider.max_listing_pages)
        return spider

    # -- bookkeeping ---------------------------------------------------------------------

    def count(self, source: str, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"brwatch/{source}/{what}", n)

    def _source_of(self, response_or_request: Response | Request) -> Source:
        return self.by_name[response_or_request.meta["source"]]

    def _received(self, response: Response) -> Source:
        source = self._source_of(response)
        self.count(source.name, "pages")
        if response.meta.get("entry"):
            self.count(source.name, "entry_ok")
        return source

    def unreadable(self, source: Source, response: Response, what: str, error: Exception) -> None:
        """A bad feed or sitemap is logged and counted; the crawl goes on."""
        self.count(source.name, "errors/parse")
        self.logger.error("%s: %s %s unreadable: %s", source.name, what, response.url, error)

    def _request(self, source: Source, url: str, callback: Any, **meta: Any) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.failed,
            meta={"source": source.name, **meta},
        )

    # -- entry points --------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        callbacks = {
            "start_url": self.parse_listing,
            "feed": self.parse_feed,
            "sitemap": self.parse_sitemap,
        }
        for source in self.sources:
            for kind, url in source.entry_points:
                request = self._request(source, url, callbacks[kind], entry=True, listing_depth=0)
                # Entry points are fetched every run, even if another source shares them.
                yield request.replace(dont_filter=True)
            if self.leases is not None:
                # What a dead worker was fetching (or nobody took) is fetched now, whether or
                # not a listing still shows it: at least once, never zero.
                orphans = self.leases.claim_orphans(source.name)
                for claim in orphans.values():
                    self.queued.add(claim.url_key)
                    yield self._claimed_request(source, claim, {"via": "requeued"})

    # -- discovery -----------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self._received(response)
        try:
            feed = parse_feed(response.body)
        except XmlError as exc:
            self.unreadable(source, response, "feed", exc)
            return
        if feed.problem:
            self.logger.warning(
                "%s: feed %s malformed, %d items recovered: %s",
                source.name,
                response.url,
                len(feed.entries),
                feed.problem,
            )
        found: list[tuple[str, dict[str, Any]]] = []
        for entry in feed.entries:
            url = normalise_url(entry.url, response.url)
            if url and self._item_followed(source, url, response.url, by_pattern=False):
                found.append((url, _hints("feed", response, entry, feed_rights=feed.rights)))
        yield from self.follow_articles(source, found)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self._received(response)
        if response.url.lower().endswith("/robots.txt"):
            for url in robots_sitemaps(response.body):
                yield self._request(source, url, self.parse_sitemap)
            return
        try:
            sitemap = parse_sitemap(response.body)
        except XmlError as exc:
            self.unreadable(source, response, "sitemap", exc)
            return
        if sitemap.is_index:
            for entry in sitemap.newest_first()[: self.max_child_sitemaps]:
                yield self._request(source, entry.url, self.parse_sitemap)
            return
        found: list[tuple[str, dict[str, Any]]] = []
        for entry in sitemap.newest_first()[: self.max_sitemap_urls]:
            url = normalise_url(entry.url, response.url)
            if url and self._item_followed(source, url, response.url, by_pattern=True):
                found.append((url, _hints("sitemap", response, entry, lastmod=entry.lastmod)))
        yield from self.follow_articles(source, found)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        source = self._received(response)
        page = FetchedPage(response.url, response.body, response.status, _headers(response))
        links = listing_links(
            parse_document(page).tree,
            response.url,
            source.allows,
            any_site=bool(source.allow),
            denies=source.denies,
        )
        depth = response.meta.get("listing_depth", 0)
        for url in links.pages:
            if depth >= self.max_listing_pages or not self.listing_budget.take(source.name, url):
                self.count(source.name, "listing_capped")
                continue
            yield self._request(source, url, self.parse_listing, listing_depth=depth + 1)
        hints = {"via": "listing", "listing_url": response.url}
        yield from self.follow_articles(source, [(url, hints) for url in links.articles])

    def _item_followed(self, source: Source, url: str, listed_at: str, *, by_pattern: bool) -> bool:
        """Whether a feed or sitemap item is followed. On the feed's or sitemap's own host:
        unless denied (sitemaps: as ``allow`` says). On another host, only as listing links
        are: when the source's ``allow`` patterns name it (the address policy then decides
        whether the host may be reached at all)."""
        if not same_site(url, listed_at):
            followed = bool(source.allow) and source.allows(url)
            if not followed:
                self.count(source.name, "skipped_elsewhere")
            return followed
        return source.allows(url) if by_pattern else not source.denies(url)

    def follow_articles(
        self, source: Source, found: list[tuple[str, dict[str, Any]]]
    ) -> Iterator[Request]:
        """Requests for the article URLs found on one page that are not fetched already."""
        if self.leases is None:
            for url, hints in found:
                yield from self.follow_article(source, url, hints)
            return
        fresh = {url: hints for url, hints in found if url not in self.queued}
        if not fresh:
            return
        self.queued.update(fresh)
        # One statement for the page's URLs; those another worker holds, fetched recently
        # or remembered as not worth fetching again are not ours to fetch.
        claims = self.leases.claim(source.name, fresh)
        skipped = len(fresh) - len(claims)
        if skipped:
            self.count(source.name, "skipped_seen", skipped)
        for url, claim in claims.items():
            yield self._claimed_request(source, claim, fresh[url])

    def _claimed_request(self, source: Source, claim: Claim, hints: dict[str, Any]) -> Request:
        headers: dict[str, str] = {}
        if claim.etag:
            headers["If-None-Match"] = claim.etag
        if claim.last_modified:
            headers["If-Modified-Since"] = claim.last_modified
        request = self._request(
            source,
            claim.url_key,
            self.parse_article,
            hints={k: v for k, v in hints.items() if v},
            key=claim.url_key,
            lease=claim.token,
            handle_httpstatus_list=[304],
        )
        return request.replace(headers=headers) if headers else request

    def follow_article(self, source: Source, url: str, hints: dict[str, Any]) -> Iterator[Request]:
        """A request for an article URL unless it was fetched already (this run or before).

        A page stored by an earlier run is asked for again only when the server gave us an
        ETag or Last-Modified: then the request is conditional and costs a 304 if unchanged.
        """
        if url in self.queued:
            return
        self.queued.add(url)
        hints = {k: v for k, v in hints.items() if v}
        seen = self.seen.get(url)
        headers: dict[str, str] = {}
        if seen is not None:
            if not (seen.etag or seen.last_modified) or seen.status in GONE:
                self.count(source.name, "skipped_seen")
                return
            if seen.etag:
                headers["If-None-Match"] = seen.etag
            if seen.last_modified:
                headers["If-Modified-Since"] = seen.last_modified
        request = self._request(
            source, url, self.parse_article, hints=hints, key=url, handle_httpstatus_list=[304]
        )
        yield request.replace(headers=headers) if headers else request

    # -- articles ------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        source = self._received(response)
        # Every article response ends as exactly one of: new, changed, unchanged (stored),
        # not_modified, skipped_type, or an error counted by the pipeline (errors/parse,
        # errors/store); "articles" is their sum (tests/test_crawl_faults.py).
        self.count(source.name, "articles")
        now = datetime.now(UTC)
        key = response.meta["key"]
        if response.status == 304:
            self.count(source.name, "not_modified")
            yield {"visit": Visit(key, source.name, 304, now), "lease": response.meta.get("lease")}
            return
        content_type = response.headers.get(b"Content-Type") or b""
        if not _HTML_TYPES.search(content_type):
            self.count(source.name, "skipped_type")
            return
        page = FetchedPage(
            url=response.url,
            body=response.body,
            status=response.status,
            headers=_headers(response),
            fetched_at=now,
            source=source.name,
            hints=response.meta.get("hints", {}),
        )
        yield {"page": page, "requested_key": key, "lease": response.meta.get("lease")}

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request: Request = failure.request  # type: ignore[attr-defined]
        source = self._source_of(request)
        kind = error_kind(failure)
        if kind == "stopped":
            self.count(source.name, "dropped_on_stop")
            return
        self.count(source.name, f"errors/{kind}")
        if request.meta.get("entry"):
            self.count(source.name, "entry_failed")
        level = logging.INFO if kind == "robots" else logging.WARNING
        self.logger.log(
            level,
            "%s: %s failed (%s): %s",
            source.name,
            request.url,
            kind,
            failure.getErrorMessage(),
        )
        status = http_status(failure)
        if status in GONE and "key" in request.meta:
            visit = Visit(request.meta["key"], source.name, status, datetime.now(UTC))
            yield {"visit": visit, "lease": request.meta.get("lease")}
