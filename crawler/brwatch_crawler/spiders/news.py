"""The one spider: feeds, sitemaps and listing pages of every source, down to article pages.

What a link is (article, next listing page), how URLs are keyed and how feeds and sitemaps
read are decided in `brwatch_crawler.links`, `brwatch.discovery` and
`brwatch.pipeline.urls`; this module only turns those answers into requests and items.
"""

from __future__ import annotations

import hashlib
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
from brwatch.discovery.feeds import FeedEntry, parse_feed
from brwatch.discovery.sitemaps import SitemapEntry, parse_sitemap, robots_sitemaps
from brwatch.discovery.xmldoc import XmlError
from brwatch.document import FetchedPage, parse_document
from brwatch.extract.hub import MIN_HUB_LINKS, HubCheck
from brwatch.pipeline import Visit, normalise_url
from brwatch.pipeline.refetch import RefetchSchedule
from brwatch.pipeline.urls import same_site
from brwatch.sources import Source
from brwatch.storage.articles import SeenInfo
from brwatch.storage.frontier import LISTING, PENDING, READ, SITEMAP, FrontierEntry
from brwatch_crawler.errors import error_kind, http_status
from brwatch_crawler.links import ListingBudget, SourceFollows, listing_links, url_shape

# Content types that are not article pages (a feed may link to a PDF or an image).
_HTML_TYPES = re.compile(rb"html|xml|^$|text/plain", re.IGNORECASE)
# Statuses that say "this URL has nothing": remembered, so later runs do not fetch them again.
GONE = (404, 410)
# A page with fewer anchors than this cannot be a hub (see brwatch.extract.hub): not parsed
# here, only in the workers.
_ANCHOR = re.compile(rb"<a[\s>]", re.IGNORECASE)


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
    # Set from the crawler's settings in from_crawler.
    max_listing_pages: int
    max_child_sitemaps: int
    max_sitemap_urls: int
    listing_budget: ListingBudget

    def __init__(
        self,
        sources: list[Source],
        seen: dict[str, SeenInfo] | None = None,
        frontier: dict[tuple[str, str, str], FrontierEntry] | None = None,
        *args: Any,
        leases: UrlLeases | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        self.by_name = {source.name: source for source in self.sources}
        self.seen = seen or {}
        self.queued: set[str] = set()
        # What earlier runs left for this one (brwatch.storage.frontier), and what this run
        # leaves for the next: written by the pipeline when the crawl closes.
        self.frontier = frontier or {}
        self.frontier_updates: dict[tuple[str, str, str], FrontierEntry] = {}
        self.refetch = RefetchSchedule(())
        self.started = datetime.now(UTC)
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
        spider.refetch = RefetchSchedule.parse(settings.get("BRWATCH_REFETCH_AFTER"))
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

    def leave_for_next_run(self, entry: FrontierEntry) -> None:
        """Record a frontier change (the pipeline stores them when the crawl closes)."""
        self.frontier_updates[entry.key] = entry

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
        # Listing chains an earlier run cut at BRWATCH_MAX_LISTING_PAGES go on from there.
        for entry in self.frontier.values():
            owner = self.by_name.get(entry.source)
            if owner is not None and entry.kind == LISTING and entry.state == PENDING:
                yield self._request(
                    owner, entry.url, self.parse_listing, listing_depth=0, chain="continued"
                )

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
            if url and source.is_listing(url):
                yield from self.follow_listing(source, url, depth=0)
            elif url and self._item_followed(source, url, response.url, by_pattern=False):
                found.append((url, _hints("feed", response, entry, feed_rights=feed.rights)))
        yield from self.follow_articles(source, found)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self._received(response)
        if response.url.lower().endswith("/robots.txt"):
            for sitemap_url in robots_sitemaps(response.body):
                yield self._request(source, sitemap_url, self.parse_sitemap)
            return
        try:
            sitemap = parse_sitemap(response.body)
        except XmlError as exc:
            self.unreadable(source, response, "sitemap", exc)
            return
        if sitemap.is_index:
            yield from self._child_sitemaps(source, sitemap.newest_first())
            return
        candidates: list[tuple[str, SitemapEntry]] = []
        for entry in sitemap.newest_first():
            url = normalise_url(entry.url, response.url)
            if url and source.is_listing(url):
                yield from self.follow_listing(source, url, depth=0)
            elif url and self._item_followed(source, url, response.url, by_pattern=True):
                candidates.append((url, entry))
        if self.leases is not None:
            # On many hosts the shared frontier decides what is fetched (claims).
            taken = candidates[: self.max_sitemap_urls]
            found = [
                (url, _hints("sitemap", response, entry, lastmod=entry.lastmod))
                for url, entry in taken
            ]
            yield from self.follow_articles(source, found)
            return
        # BRWATCH_MAX_SITEMAP_URLS caps the requests one sitemap makes, never-fetched URLs
        # first: entries fetched by earlier runs and not due again cost nothing and do not
        # count, so the next run goes on with what this one left out.
        fresh: list[tuple[str, SitemapEntry]] = []
        again: list[tuple[str, SitemapEntry]] = []
        for url, entry in candidates:
            if url in self.queued:
                continue
            seen = self.seen.get(url)
            if seen is None:
                fresh.append((url, entry))
            elif self.revisit_headers(seen) is None:
                self.queued.add(url)
                self.count(source.name, "skipped_seen")
            else:
                again.append((url, entry))
        # Fetched again, least recently fetched first: with the cap reached, the next run
        # takes up those this one left.
        again.sort(key=lambda pair: self.seen[pair[0]].fetched_at or self.started)
        wanted = fresh + again
        taken = wanted[: self.max_sitemap_urls]
        left_out = len(wanted) - len(taken)
        for url, entry in taken:
            hints = _hints("sitemap", response, entry, lastmod=entry.lastmod)
            yield from self.follow_article(source, url, hints)
        if left_out:
            self.count(source.name, "capped_urls", left_out)
            self.logger.warning(
                "%s: sitemap %s: %d URLs left for the next run (BRWATCH_MAX_SITEMAP_URLS=%d)",
                source.name, response.url, left_out, self.max_sitemap_urls,
            )  # fmt: skip
        child = response.meta.get("child_sitemap")
        if child is not None:
            state = PENDING if left_out else READ
            self.leave_for_next_run(
                FrontierEntry(source.name, SITEMAP, child, state, response.meta.get("lastmod"))
            )

    def _child_sitemaps(self, source: Source, children: list[SitemapEntry]) -> Iterator[Request]:
        """The newest BRWATCH_MAX_CHILD_SITEMAPS children of an index, every run; and as many
        of the others that no run has read whole yet (or whose lastmod changed since), the
        rest remembered for the next run."""
        cap = self.max_child_sitemaps
        newest, older = children[:cap], children[cap:]
        unread = [
            child
            for child in older
            if not (
                (known := self.frontier.get((source.name, SITEMAP, child.url)))
                and known.state == READ
                and known.lastmod == child.lastmod
            )
        ]
        for child in [*newest, *unread[:cap]]:
            yield self._request(
                source,
                child.url,
                self.parse_sitemap,
                child_sitemap=child.url,
                lastmod=child.lastmod,
            )
        left_out = unread[cap:]
        for child in left_out:
            self.leave_for_next_run(
                FrontierEntry(source.name, SITEMAP, child.url, PENDING, child.lastmod)
            )
        if left_out:
            self.count(source.name, "capped_sitemaps", len(left_out))
            self.logger.warning(
                "%s: %d child sitemaps left for the next run (BRWATCH_MAX_CHILD_SITEMAPS=%d)",
                source.name, len(left_out), cap,
            )  # fmt: skip

    def parse_listing(self, response: Response) -> Iterator[Request]:
        source = self._received(response)
        page = FetchedPage(response.url, response.body, response.status, _headers(response))
        depth = response.meta.get("listing_depth", 0)
        chain = response.meta.get("chain", "")
        tree = parse_document(page).tree
        yield from self.listing_requests(source, tree, response.url, depth, chain)

    def listing_requests(
        self, source: Source, tree: Any, listing_url: str, depth: int, chain: str = ""
    ) -> Iterator[Request]:
        """Requests for a listing's further pages (within the budget) and for its articles."""
        links = listing_links(
            tree,
            listing_url,
            source.allows,
            any_site=bool(source.allow),
            denies=source.denies,
            listings=source.is_listing,
        )
        key = (source.name, LISTING, listing_url)
        if key in self.frontier or key in self.frontier_updates:
            # A page a cap had cut: read now, it is not walked again from further up.
            self.leave_for_next_run(FrontierEntry(source.name, LISTING, listing_url, READ))
        for url in links.pages:
            yield from self.follow_listing(source, url, depth + 1, chain)
        hints = {"via": "listing", "listing_url": listing_url}
        if self.leases is not None:
            yield from self.follow_articles(source, [(url, hints) for url in links.articles])
            return
        for url in links.articles:
            yield from self.follow_article(
                source, url, dict(hints), depth=depth + 1, listing_shape=url_shape(listing_url)
            )

    def _listing_left_out(self, source: Source, url: str) -> None:
        """A next page a cap cut: remembered, so the next run starts a chain there, unless
        this run or an earlier one already started one there."""
        key = (source.name, LISTING, url)
        if key in self.frontier or key in self.frontier_updates:
            return  # fetched by this run from the frontier, or by an earlier one
        self.leave_for_next_run(FrontierEntry(source.name, LISTING, url, PENDING))
        self.count(source.name, "listing_capped")

    def follow_listing(
        self, source: Source, url: str, depth: int, chain: str = ""
    ) -> Iterator[Request]:
        """A listing page, unless the source has used up its listing budget (depth and pages
        per URL shape: calendars and endless "next" chains stop there; what a cap cuts is
        remembered for the next run). Chains continued from the frontier have a budget of
        their own: the chains from the entry points (the news) must not starve them, nor they
        the news."""
        if depth > self.max_listing_pages or not self.listing_budget.take(
            f"{source.name}\0{chain}", url
        ):
            self._listing_left_out(source, url)
            return
        yield self._request(source, url, self.parse_listing, listing_depth=depth, chain=chain)

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

    def revisit_headers(self, seen: SeenInfo) -> dict[str, str] | None:
        """How to ask again for a URL an earlier run fetched: the conditional headers (none
        when the server gave no validators), or None when it is not fetched this run.

        A page whose server gave an ETag or Last-Modified is asked for every run,
        conditionally (a 304 if unchanged); one without is fetched again when its age says
        so (BRWATCH_REFETCH_AFTER, brwatch.pipeline.refetch). 404 and 410 are not.
        """
        if seen.status in GONE:
            return None
        headers: dict[str, str] = {}
        if seen.etag:
            headers["If-None-Match"] = seen.etag
        if seen.last_modified:
            headers["If-Modified-Since"] = seen.last_modified
        if headers or self.refetch.due(seen.born, seen.fetched_at, self.started):
            return headers
        return None

    def follow_article(
        self,
        source: Source,
        url: str,
        hints: dict[str, Any],
        depth: int = 0,
        listing_shape: str | None = None,
    ) -> Iterator[Request]:
        """A request for an article URL unless it was fetched already (this run or before)."""
        if url in self.queued:
            return
        self.queued.add(url)
        hints = {k: v for k, v in hints.items() if v}
        seen = self.seen.get(url)
        headers: dict[str, str] | None = {}
        if seen is not None:
            headers = self.revisit_headers(seen)
            if headers is None:
                self.count(source.name, "skipped_seen")
                return
        request = self._request(
            source,
            url,
            self.parse_article,
            hints=hints,
            key=url,
            handle_httpstatus_list=[304],
            listing_depth=depth,
            listing_shape=listing_shape,
            # The bytes fetched last time: the same again need no processing at all.
            last_sha256=seen.sha256 if seen else None,
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
        last = response.meta.get("last_sha256")
        if last and response.status == 200 and hashlib.sha256(response.body).hexdigest() == last:
            # Fetched again (no validators, or the server ignored them) and byte for byte what
            # was stored: costs a hash, like a 304, and no worker.
            self.count(source.name, "unchanged")
            yield {"visit": Visit(key, source.name, 200, now, unchanged=True)}
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
        yield {
            "page": page,
            "requested_key": key,
            "hub_check": self._hub_check(source, response),
            "listing_depth": response.meta.get("listing_depth", 0),
            "lease": response.meta.get("lease"),
        }

    def _hub_check(self, source: Source, response: Response) -> HubCheck | None:
        """What the worker needs to tell a hub from an article (brwatch.extract.hub); None
        when the page has too few links to be one (most articles: no parse needed for that)."""
        # A page shaped like the listing that linked it (/list/17.html from /list/16.html) is
        # that listing's next page even with one story on it.
        next_page = response.meta.get("listing_shape") == url_shape(response.url)
        minimum = 1 if next_page else MIN_HUB_LINKS
        if len(_ANCHOR.findall(response.body, 0, 2_000_000)) < minimum:
            return None
        return HubCheck(SourceFollows(source), min_links=minimum)

    def follow_hub(self, source_name: str, url: str, links: list[str], depth: int) -> None:
        """A page fetched as an article turned out to be a hub: its links are followed as a
        listing's, within the listing budget (the pipeline calls this; nothing is stored)."""
        source = self.by_name[source_name]
        self.count(source.name, "hubs")
        self.logger.info("%s: %s is a listing (%d links), not stored", source.name, url, len(links))
        if depth > self.max_listing_pages or not self.listing_budget.take(f"{source.name}\0", url):
            self.count(source.name, "listing_capped")
            return
        shape = url_shape(url)
        requests: list[Request] = []
        for link in links:
            if source.is_listing(link) or url_shape(link) == shape:
                requests += self.follow_listing(source, link, depth + 1)
            else:
                hints = {"via": "listing", "listing_url": url}
                requests += self.follow_article(
                    source, link, hints, depth=depth + 1, listing_shape=shape
                )
        for request in requests:
            self.crawler.engine.crawl(request)

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
