"""`brwatch sources --check`: does each entry point answer? One short request per URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from brwatch import __version__
from brwatch.sources.model import EntryKind, Source

USER_AGENT = f"brwatch/{__version__} (sources check)"


@dataclass(frozen=True)
class ProbeResult:
    source: str
    kind: EntryKind
    url: str
    outcome: str  # "ok", "http_error" (answered with 4xx/5xx) or "unreachable"
    status: int | None  # final HTTP status after redirects
    final_url: str | None
    detail: str  # content type when ok, the reason otherwise

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_sources(
    sources: Iterable[Source], timeout: float = 5.0, concurrency: int = 16
) -> list[ProbeResult]:
    """Probe every entry point of every source; results in the order of the file."""
    targets = [(source.name, kind, url) for source in sources for kind, url in source.entry_points]
    return asyncio.run(_probe_all(targets, timeout, concurrency))


async def _probe_all(
    targets: list[tuple[str, EntryKind, str]], timeout: float, concurrency: int
) -> list[ProbeResult]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": USER_AGENT},
    ) as client:

        async def one(name: str, kind: EntryKind, url: str) -> ProbeResult:
            async with limit:
                return await _probe(client, name, kind, url, timeout)

        return list(await asyncio.gather(*(one(*target) for target in targets)))


async def _probe(
    client: httpx.AsyncClient, name: str, kind: EntryKind, url: str, timeout: float
) -> ProbeResult:
    # GET rather than HEAD: many news servers answer HEAD wrongly. The body is never read.
    try:
        async with asyncio.timeout(timeout * 2):  # connect + headers, however slow the drip
            async with client.stream("GET", url) as response:
                status = response.status_code
                final_url = str(response.url)
                content_type = response.headers.get("content-type", "")
    except (TimeoutError, httpx.TimeoutException):
        return ProbeResult(name, kind, url, "unreachable", None, None, "timeout")
    except httpx.TooManyRedirects:
        return ProbeResult(name, kind, url, "unreachable", None, None, "too many redirects")
    except httpx.HTTPError as exc:
        return ProbeResult(name, kind, url, "unreachable", None, None, _reason(exc))
    if status >= 400:
        return ProbeResult(name, kind, url, "http_error", status, final_url, f"HTTP {status}")
    return ProbeResult(name, kind, url, "ok", status, final_url, content_type)


def _reason(exc: httpx.HTTPError) -> str:
    """A short, human reason: the innermost cause says most ("Name or service not known")."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause) or type(cause).__name__
    kind = "connect" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
    return f"{kind}: {text}"
