"""`brwatch sources --check`: does each entry point answer, with what? One request per URL.

Each host's robots.txt is read first, as the crawler will: an entry point it disallows is
reported and not requested, and a Crawl-delay is reported with it. Start URLs then only need to
answer; feeds and sitemaps must also serve the right kind of document, with recent items (see
`contents`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from protego import Protego

from brwatch import __version__
from brwatch.fetch.guarded import GuardedAsyncTransport
from brwatch.sources.contents import PEEK_BYTES, judge_contents
from brwatch.sources.model import EntryKind, Source

USER_AGENT = f"brwatch/{__version__} (sources check)"
ROBOTS_AGENT = "brwatch"  # the product token robots.txt rules are matched against


@dataclass(frozen=True)
class ProbeResult:
    source: str
    kind: EntryKind
    url: str
    # "ok"; "stale" (newest item too old); "wrong_content" (e.g. an HTML page for a feed);
    # "robots_disallowed"; "http_error" (answered 4xx/5xx); "unreachable" (DNS, connection,
    # timeout, redirects)
    outcome: str
    status: int | None  # final HTTP status after redirects
    final_url: str | None
    detail: str  # what was found, or why not
    crawl_delay: float | None = None  # what the host's robots.txt asks of us, if anything

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Settings:
    timeout: float
    stale_after: timedelta


def probe_sources(
    sources: Iterable[Source],
    timeout: float = 5.0,
    concurrency: int = 16,
    stale_after: timedelta = timedelta(days=30),
) -> list[ProbeResult]:
    """Probe every entry point of every source; results in the order of the file."""
    targets = [(source.name, kind, url) for source in sources for kind, url in source.entry_points]
    settings = _Settings(timeout, stale_after)
    return asyncio.run(_probe_all(targets, settings, concurrency))


async def _probe_all(
    targets: list[tuple[str, EntryKind, str]], settings: _Settings, concurrency: int
) -> list[ProbeResult]:
    limit = asyncio.Semaphore(concurrency)
    # The entry points' own hosts are reached wherever they are; redirects elsewhere follow
    # the address policy, checked on the address each hop connects to.
    entry_hosts = {urlsplit(url).hostname or "" for _name, _kind, url in targets}
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": USER_AGENT},
        transport=GuardedAsyncTransport(entry_hosts - {""}),
    ) as client:

        async def robots_of(origin: str) -> tuple[str, Protego | None]:
            async with limit:
                return origin, await _robots(client, origin, settings)

        origins = sorted({_origin(url) for _name, _kind, url in targets})
        robots = dict(await asyncio.gather(*(robots_of(origin) for origin in origins)))

        async def one(name: str, kind: EntryKind, url: str) -> ProbeResult:
            rules = robots.get(_origin(url))
            delay = rules.crawl_delay(ROBOTS_AGENT) if rules else None
            if rules and not rules.can_fetch(url, ROBOTS_AGENT):
                reason = "robots.txt disallows it for brwatch"
                return ProbeResult(name, kind, url, "robots_disallowed", None, None, reason, delay)
            async with limit:
                result = await _probe(client, name, kind, url, settings)
            return replace(result, crawl_delay=delay)

        return list(await asyncio.gather(*(one(*target) for target in targets)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _robots(client: httpx.AsyncClient, origin: str, settings: _Settings) -> Protego | None:
    """The host's robots.txt rules; None when there are none to obey or they cannot be read
    (the entry point's own request then says why). 4xx means "no rules" (RFC 9309)."""
    try:
        async with asyncio.timeout(settings.timeout * 3):
            response = await client.get(f"{origin}/robots.txt")
    except (TimeoutError, httpx.HTTPError):
        return None
    if response.status_code != 200:
        return None
    return Protego.parse(response.text)


async def _probe(
    client: httpx.AsyncClient, name: str, kind: EntryKind, url: str, settings: _Settings
) -> ProbeResult:
    # GET rather than HEAD: many news servers answer HEAD wrongly. A start URL's body is never
    # read; a feed's or sitemap's is, up to PEEK_BYTES.
    body = b""
    try:
        async with asyncio.timeout(settings.timeout * 3):  # however slow the drip
            async with client.stream("GET", url) as response:
                status = response.status_code
                final_url = str(response.url)
                content_type = response.headers.get("content-type", "")
                if kind != "start_url" and status < 400:
                    body = await _peek(response)
    except (TimeoutError, httpx.TimeoutException):
        return ProbeResult(name, kind, url, "unreachable", None, None, "timeout")
    except httpx.TooManyRedirects:
        return ProbeResult(name, kind, url, "unreachable", None, None, "too many redirects")
    except httpx.HTTPError as exc:
        return ProbeResult(name, kind, url, "unreachable", None, None, _reason(exc))
    if status >= 400:
        return ProbeResult(name, kind, url, "http_error", status, final_url, f"HTTP {status}")
    if kind == "start_url":
        return ProbeResult(name, kind, url, "ok", status, final_url, content_type)
    outcome, detail = judge_contents(kind, final_url, body, settings.stale_after)
    return ProbeResult(name, kind, url, outcome, status, final_url, detail)


async def _peek(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decompressed
        chunks.append(chunk)
        size += len(chunk)
        if size >= PEEK_BYTES:
            break
    return b"".join(chunks)[:PEEK_BYTES]


def _reason(exc: httpx.HTTPError) -> str:
    """A short, human reason: the innermost cause says most ("Name or service not known")."""
    cause: BaseException = exc
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    text = str(cause) or type(cause).__name__
    kind = "connect" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
    return f"{kind}: {text}"
