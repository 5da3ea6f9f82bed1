"""The address policy for asynchronous httpx clients (`brwatch sources --check`).

Like the safe fetcher's backend, it owns the TCP connect: the host is resolved here, every
address judged by :mod:`brwatch.fetch.policy`, and the connection made to the judged address,
so each redirect hop (a new connection) is checked on the address it really reaches. Hosts the
operator chose (a source's entry points) are exempt, as in the crawl.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from brwatch.fetch.policy import IPNetwork, allowed_networks_from_env, refusal_reason

REFUSED = "refused by the address policy"


class GuardedAsyncBackend(httpcore.AsyncNetworkBackend):
    """httpcore's asyncio backend, connecting only to addresses the policy allows."""

    def __init__(self, exempt_hosts: Iterable[str], allowed: list[IPNetwork]) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.exempt = frozenset(host.lower().rstrip(".") for host in exempt_hosts)
        self.allowed = allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.lower().rstrip(".") in self.exempt:
            return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        address = await self._checked_address(host, port, timeout)
        return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def _checked_address(self, host: str, port: int, timeout: float | None) -> str:
        try:
            answers = [ipaddress.ip_address(host)]
            verb = "is"
        except ValueError:
            verb = "resolves to"
            loop = asyncio.get_running_loop()
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
                )
            except (OSError, TimeoutError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
            answers = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not answers:
            raise httpcore.ConnectError(f"{host} has no address")
        # Any refused answer refuses the host: a name mixing public and private addresses is
        # a rebinding attempt, not a publisher.
        for answer in answers:
            reason = refusal_reason(answer, self.allowed)
            if reason:
                raise httpcore.ConnectError(f"{REFUSED}: {host} {verb} a {reason}")
        return str(answers[0])

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(f"{REFUSED}: unix sockets are never followed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedAsyncTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool whose every connect goes through the policy."""

    def __init__(self, exempt_hosts: Iterable[str], allowed: list[IPNetwork] | None = None) -> None:
        super().__init__(trust_env=False)
        backend = GuardedAsyncBackend(
            exempt_hosts, allowed_networks_from_env() if allowed is None else allowed
        )
        # httpx builds its pool in __init__ with no way to pass a network backend; this is the
        # pool it builds (no proxy), with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend
        )
