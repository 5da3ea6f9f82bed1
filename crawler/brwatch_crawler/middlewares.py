"""Downloader middlewares: per-host delays from robots.txt and the sources, retry backoff,
meta refresh without decoding every page."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.response import get_meta_refresh

from brwatch_crawler.errors import STOPPED

log = logging.getLogger(__name__)


class PolitenessMiddleware:
    """Fixed delays per host: a source's ``delay`` and robots.txt ``Crawl-delay``, the larger.

    Scrapy reads robots.txt but ignores Crawl-delay; AutoThrottle would also shrink any delay
    down to DOWNLOAD_DELAY. So a host with a fixed delay gets it as its download-slot delay and
    its requests are exempt from AutoThrottle's adjustments. An explicit ``delay: 0`` is a
    fixed delay too (an intranet or partner site): no wait and no AutoThrottle floor, unless
    robots.txt asks for more. A source without ``delay`` keeps the polite defaults.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get(
            "USER_AGENT"
        )
        self.fixed: dict[str, float] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        for source in getattr(spider, "sources", []):
            if source.delay is not None:  # 0 is a choice, not "unset"
                for _kind, url in source.entry_points:
                    self.set_delay(urlsplit(url).hostname or "", float(source.delay), source.name)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except (AttributeError, ValueError):
            return
        if delay:
            self.set_delay(urlsplit(request.url).hostname or "", float(delay), "robots.txt")

    def set_delay(self, host: str, delay: float, why: str) -> None:
        if not host or (host in self.fixed and delay <= self.fixed[host]):
            return
        self.fixed[host] = delay
        downloader = self.crawler.engine.downloader
        # Slots are created (and garbage-collected when idle) by the downloader: set both the
        # settings new slots are built from and the live slot, if any.
        # No jitter: a random -50% would undercut the delay the site asked for. A waiting host
        # gets one request at a time; a host asking for no delay keeps the usual concurrency.
        slot_settings: dict[str, float] = {"delay": delay, "jitter": 0.0}
        if delay > 0:
            slot_settings["concurrency"] = 1
        downloader.per_slot_settings[host] = slot_settings
        slot = downloader.slots.get(host)
        if slot is not None:
            slot.delay, slot.jitter = delay, 0.0
            if delay > 0:
                slot.concurrency = 1
        log.info("delay for %s: %.1fs (%s)", host, delay, why)

    def process_request(self, request: Request) -> None:
        if urlsplit(request.url).hostname in self.fixed:
            request.meta["autothrottle_dont_adjust_delay"] = True


class RetryBackoffMiddleware:
    """Waits before a retried request: BRWATCH_RETRY_BACKOFF seconds, doubled per retry."""

    def __init__(self, base: float) -> None:
        self.base = base

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(crawler.settings.getfloat("BRWATCH_RETRY_BACKOFF"))

    async def process_request(self, request: Request) -> None:
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            await asyncio.sleep(self.base * 2 ** (retries - 1))


# Scrapy reads a refresh in the first 4,096 characters: at most 4 bytes each in UTF-8.
_REFRESH_SCAN_BYTES = 4 * 4096
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, minus decoding every page to look for one.

    Scrapy decodes the whole body to read its first 4,096 characters; the workers decode
    each article again anyway. A page whose first bytes never spell "refresh" (in any ASCII-
    compatible encoding) has no refresh to follow and is passed on untouched.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        head = response.body[:_REFRESH_SCAN_BYTES]
        if b"refresh" not in head.lower() and not head.startswith(_UTF16_BOMS):
            return response
        if isinstance(response, HtmlResponse):
            try:
                _, target = get_meta_refresh(response, ignore_tags=self._ignore_tags)
            except ValueError:  # w3lib cannot even parse the URL (an unclosed IPv6 bracket …)
                target = "(unparsable)"
            if target and not _followable(target):
                # A refresh to javascript:, mailto: or a broken URL goes nowhere: the page itself
                # is stored and reviewed (it must not keep itself out of review this way).
                log.debug("ignoring unusable meta refresh to %r on %s", target, response.url)
                return response
        return super().process_response(request, response)


def _followable(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class SharedPolitenessMiddleware:
    """On many hosts (`brwatch worker`): every request waits at its politeness group's shared
    gate (brwatch.cluster.gates) right before it is downloaded, so the delay and the in-flight
    limit hold across all workers. The group is the host, or the ``politeness_group`` of the
    sources on it; the delay is the largest of the sources' ``delay``, robots.txt Crawl-delay
    and DOWNLOAD_DELAY. The worker turns Scrapy's own per-process delays off
    (brwatch_crawler.worker): a local wait after the shared gate would let the gaps between
    hosts' requests shrink.

    Placed last before the download, so a retry or redirect answered by an outer middleware
    still passes here, and every started request gives its place back here first.
    """

    def __init__(self, crawler: Crawler) -> None:
        from brwatch.cluster.gates import SharedGates
        from brwatch.storage import open_database

        settings = crawler.settings
        self.crawler = crawler
        self.db = open_database(settings.get("BRWATCH_DB_URL"), migrate=False)
        self.gates = SharedGates(
            settings.get("BRWATCH_REDIS_URL"),
            self.db,
            margin=settings.getfloat("BRWATCH_GATE_MARGIN"),
            inflight_ttl=settings.getfloat("DOWNLOAD_TIMEOUT") + 30,
        )
        crawler.brwatch_gates = self.gates  # type: ignore[attr-defined]  # stopped by drop_waiting
        self.groups: dict[str, str] = settings.getdict("BRWATCH_POLITENESS_GROUPS")
        self.fixed: dict[str, float] = {
            group: float(delay) for group, delay in settings.getdict("BRWATCH_GROUP_DELAYS").items()
        }
        self.default_delay = settings.getfloat("BRWATCH_SHARED_DELAY")
        self.limit = settings.getint("BRWATCH_HOST_CONCURRENCY")
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        if not crawler.settings.get("BRWATCH_REDIS_URL"):
            raise NotConfigured("no Redis: politeness is per process (PolitenessMiddleware)")
        return cls(crawler)

    def group_of(self, url: str) -> str:
        host = urlsplit(url).hostname or ""
        return self.groups.get(host, host)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except (AttributeError, ValueError):
            return
        group = self.group_of(request.url)
        if delay and float(delay) > self.fixed.get(group, 0.0):
            self.fixed[group] = float(delay)
            log.info("delay for %s: %.1fs (robots.txt)", group, float(delay))

    async def process_request(self, request: Request) -> None:
        from brwatch.cluster.gates import Stopped

        group = self.group_of(request.url)
        fixed = self.fixed.get(group)
        delay = max(fixed or 0.0, self.default_delay)
        # A host that asked for a delay gets one request at a time, as on one host.
        limit = 1 if fixed else self.limit
        try:
            request.meta["brwatch_gate"] = await self.gates.start(group, delay, limit)
        except Stopped:
            raise IgnoreRequest(STOPPED) from None

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._end(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._end(request)

    async def _end(self, request: Request) -> None:
        ticket = request.meta.pop("brwatch_gate", None)
        if ticket is not None:
            await self.gates.end(ticket)

    async def spider_closed(self) -> None:
        await self.gates.close()
        self.db.dispose()
