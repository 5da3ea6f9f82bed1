"""The safe fetcher: the only way brwatch follows a URL taken from a page or a user.

httpcore is used directly (not httpx) because we need to own the one step that matters: the
TCP connect. Our network backend resolves the host itself, judges every resolved address with
:mod:`brwatch.fetch.policy`, and connects to the judged IP literal, so a DNS answer cannot
change between the check and the connect. TLS still verifies against (and sends SNI for) the
original host name, because httpcore hands the URL's host to ``start_tls``. Redirects are
followed here, one hop at a time, each hop re-validated and re-resolved. No cookie jar, no
proxy settings from the environment, no credentials: nothing is carried between requests.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
from w3lib.url import safe_url_string

from brwatch.fetch.policy import (
    IPAddress,
    IPNetwork,
    allowed_networks_from_env,
    parse_networks,
    refusal_reason,
)

Resolver = Callable[[str, int], Sequence[str]]

USER_AGENT = "brwatch-linkcheck/0.1 (+attribution check)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(Exception):
    """A fetch that did not produce a response; ``kind`` says why (dns, connect, timeout, …)."""

    def __init__(self, url: str, reason: str, kind: str = "error") -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.kind = kind


class FetchRefused(FetchError):
    """The URL (or an address it resolves or redirects to) is not allowed; nothing was sent."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason, kind="refused")


@dataclass(slots=True)
class SafeResponse:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)
    truncated: bool = False
    # The IP address the final hop actually connected to.
    peer: str | None = None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks and pins: connects only to an address the policy allows."""

    def __init__(self, resolver: Resolver, allowed: list[IPNetwork]) -> None:
        self.resolver = resolver
        self.allowed = allowed
        self.peer: str | None = None

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The resolver's answer within ``timeout``: getaddrinfo itself cannot be interrupted,
        so it runs in a helper thread that is abandoned (and ends on its own) if too slow."""
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append(list(self.resolver(host, port)))
            except Exception as exc:  # handed to the caller below
                outcome.append(exc)

        worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
        worker.start()
        worker.join(timeout)
        if not outcome:
            raise FetchError(
                host, f"resolving {host} took longer than {timeout:g}s", kind="timeout"
            )
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]

    def checked_addresses(
        self, host: str, port: int, timeout: float | None = None
    ) -> list[IPAddress]:
        literal = True
        try:
            answers = [ipaddress.ip_address(host)]
        except ValueError:
            literal = False
            try:
                answers = [
                    ipaddress.ip_address(a.split("%", 1)[0])
                    for a in self._resolve(host, port, timeout)
                ]
            except (OSError, UnicodeError, ValueError) as exc:
                raise FetchError(host, f"cannot resolve {host}: {exc}", kind="dns") from exc
        if not answers:
            raise FetchError(host, f"{host} has no address", kind="dns")
        # Any refused answer refuses the host: a name that mixes public and private
        # addresses is a rebinding attempt, not a publisher.
        for address in answers:
            reason = refusal_reason(address, self.allowed)
            if reason:
                verb = "is" if literal else "resolves to"
                raise FetchRefused(host, f"{host} {verb} a {reason}")
        return answers

    def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int]] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self.checked_addresses(host, port, timeout):
            try:
                stream = super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            self.peer = str(address)
            return stream
        assert last_error is not None
        raise last_error


def _validate_url(url: str) -> tuple[str, str, str, int]:
    """(request URL, scheme, ASCII host, port) of an allowed URL, or FetchRefused.

    The request URL is percent-encoded with an IDNA host and no fragment, as sent on the wire.
    """
    try:
        safe = safe_url_string(url.strip())
        parts = urlsplit(safe)
        port = parts.port
    except (ValueError, UnicodeError) as exc:
        raise FetchRefused(url, f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused(
            url, f"scheme {scheme or '(none)'!r} is not allowed; only http and https"
        )
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(url, "URLs carrying credentials are not followed")
    host = parts.hostname
    if not host:
        raise FetchRefused(url, "the URL has no host")
    request_url = urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))
    return request_url, scheme, host, port or DEFAULT_PORTS[scheme]


def _host_header(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"


class SafeFetcher:
    """GET a URL from an untrusted source: public addresses only, capped in bytes, time, hops.

    ``allowed_networks=None`` reads ``BRWATCH_ALLOWED_NETWORKS``; pass a list (maybe empty) to
    decide explicitly. ``resolver(host, port) -> [ip, …]`` is injectable for tests.
    """

    def __init__(
        self,
        max_bytes: int = 2_000_000,
        timeout: float = 15.0,
        max_redirects: int = 5,
        allowed_networks: Iterable[str] | None = None,
        resolver: Resolver | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.allowed = (
            allowed_networks_from_env()
            if allowed_networks is None
            else parse_networks(allowed_networks, where="allowed_networks")
        )
        self.resolver = resolver or system_resolver
        self.user_agent = user_agent
        self._ssl = ssl.create_default_context()

    def get(self, url: str, *, truncate: bool = False) -> SafeResponse:
        """Fetch ``url``, following redirects; ``truncate`` cuts an oversized body, not fails."""
        deadline = time.monotonic() + self.timeout
        redirects: list[str] = []
        current = url
        while True:
            status, headers, body, truncated, peer = self._one_hop(current, deadline, truncate)
            location = headers.get("location")
            if status in REDIRECT_STATUSES and location:
                if len(redirects) >= self.max_redirects:
                    raise FetchError(
                        url, f"more than {self.max_redirects} redirects", kind="redirects"
                    )
                redirects.append(current)
                current = urljoin(current, location.strip())
                continue
            return SafeResponse(url, current, status, headers, body, redirects, truncated, peer)

    def post_json(self, url: str, payload: bytes) -> SafeResponse:
        """POST a JSON body to ``url`` (a webhook a user gave): the same address checks, no
        redirect followed (a 3xx is returned as it is), the answer capped like a GET's."""
        deadline = time.monotonic() + self.timeout
        status, headers, body, truncated, peer = self._one_hop(
            url, deadline, True, method="POST", body=payload, content_type=b"application/json"
        )
        return SafeResponse(url, url, status, headers, body, [], truncated, peer)

    def _one_hop(
        self,
        url: str,
        deadline: float,
        truncate: bool,
        *,
        method: str = "GET",
        body: bytes | None = None,
        content_type: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes, bool, str | None]:
        request_url, scheme, host, port = _validate_url(url)
        backend = _GuardedBackend(self.resolver, self.allowed)
        headers = [
            (b"Host", _host_header(scheme, host, port).encode("ascii")),
            (b"User-Agent", self.user_agent.encode()),
            (b"Accept", b"text/html,application/xhtml+xml,*/*;q=0.8"),
            (b"Accept-Encoding", b"gzip, deflate"),
            (b"Connection", b"close"),
        ]
        if content_type is not None:
            headers.append((b"Content-Type", content_type))
        try:
            with httpcore.ConnectionPool(
                ssl_context=self._ssl, network_backend=backend, max_connections=1, retries=0
            ) as pool:
                remaining = self._remaining(url, deadline)
                timeouts = dict.fromkeys(("connect", "read", "write", "pool"), remaining)
                with pool.stream(
                    method,
                    request_url,
                    headers=headers,
                    content=body,
                    extensions={"timeout": timeouts},
                ) as response:
                    raw_headers = {
                        k.decode("latin-1").lower(): v.decode("latin-1")
                        for k, v in response.headers
                    }
                    body, truncated = self._read_body(
                        url, response, raw_headers, deadline, truncate
                    )
                    return response.status, raw_headers, body, truncated, backend.peer
        except FetchError:
            raise
        except (
            httpcore.ConnectTimeout,
            httpcore.ReadTimeout,
            httpcore.WriteTimeout,
            httpcore.PoolTimeout,
        ) as exc:
            raise FetchError(url, f"timed out ({exc or 'no answer'})", kind="timeout") from exc
        except httpcore.ConnectError as exc:
            raise FetchError(url, f"cannot connect: {exc}", kind="connect") from exc
        except (httpcore.ProtocolError, httpcore.NetworkError, httpcore.UnsupportedProtocol) as exc:
            raise FetchError(url, f"bad answer: {exc}", kind="protocol") from exc
        except (ssl.SSLError, OSError) as exc:
            raise FetchError(url, f"connection failed: {exc}", kind="connect") from exc

    def _remaining(self, url: str, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(url, f"took longer than {self.timeout:g}s", kind="timeout")
        return remaining

    def _read_body(
        self,
        url: str,
        response: httpcore.Response,
        headers: dict[str, str],
        deadline: float,
        truncate: bool,
    ) -> tuple[bytes, bool]:
        """Stream and decompress the body, stopping at max_bytes (decoded) and the deadline."""
        encoding = headers.get("content-encoding", "").strip().lower()
        decoder = (
            zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None
        )  # 47: auto-detect gzip or zlib header
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_stream():
            self._remaining(url, deadline)
            if decoder is not None:
                try:
                    chunk = decoder.decompress(chunk, self.max_bytes - size + 1)
                except zlib.error as exc:
                    raise FetchError(
                        url, f"cannot decompress body: {exc}", kind="protocol"
                    ) from exc
            size += len(chunk)
            if size > self.max_bytes:
                if not truncate:
                    raise FetchError(
                        url, f"body larger than {self.max_bytes} bytes", kind="too_large"
                    )
                chunks.append(chunk[: len(chunk) - (size - self.max_bytes)])
                return b"".join(chunks), True
            chunks.append(chunk)
        return b"".join(chunks), False
