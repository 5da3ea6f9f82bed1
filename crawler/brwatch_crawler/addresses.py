"""The safe fetcher's address policy (brwatch.fetch.policy), applied to every crawl request.

The hosts of the sources' entry points are fetched wherever they are: the operator chose
them. Every other host the crawl meets — feed and sitemap items on other hosts, redirects,
links — must resolve to a public address, or to one ``BRWATCH_ALLOWED_NETWORKS`` opens. The
address is checked where the connection gets it: in the DNS resolver Scrapy connects through
(so a name that resolves differently a second time cannot slip past a check made earlier),
and, for URLs that name an IP address (which never reach the resolver), in a downloader
middleware. Redirects are new requests, so every hop passes both.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from brwatch.fetch.policy import IPNetwork, allowed_networks_from_env, refusal_reason
from brwatch_crawler.errors import REFUSED

log = logging.getLogger(__name__)

_SCHEMES = frozenset({"http", "https"})


class AddressRefused(IgnoreRequest):
    """A request whose host is not one the crawl may reach; the message says why."""


class AddressPolicy:
    """Which hosts are exempt (entry points) and which networks are open; one per process."""

    def __init__(self, entry_hosts: Iterable[str], allowed: Sequence[IPNetwork]) -> None:
        self.entry_hosts = frozenset(host.lower().rstrip(".") for host in entry_hosts if host)
        self.allowed = list(allowed)

    def exempt(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.entry_hosts

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` (resolved to ``address``) may not be reached, or None."""
        if self.exempt(host):
            return None
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{host} resolves to {address!r}, not an address"
        reason = refusal_reason(parsed, self.allowed)
        if reason is None:
            return None
        return reason if host == address else f"{host} resolves to a {reason}"


_policy: AddressPolicy | None = None


def policy_for(crawler: Crawler) -> AddressPolicy:
    """The process's policy, built once from the crawl's settings."""
    global _policy
    if _policy is None:
        _policy = AddressPolicy(
            crawler.settings.getlist("BRWATCH_ENTRY_HOSTS"), allowed_networks_from_env()
        )
    return _policy


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to addresses the policy
    forbids (the address it hands back is the one the connection uses)."""

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, policy: AddressPolicy
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        if crawler.settings.getbool("DNSCACHE_ENABLED"):
            cache_size = crawler.settings.getint("DNSCACHE_SIZE")
        else:
            cache_size = 0
        return cls(
            reactor, cache_size, crawler.settings.getfloat("DNS_TIMEOUT"), policy_for(crawler)
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolved = super().getHostByName(name, timeout)

        def check(address: str) -> str:
            reason = self.policy.refusal(name, address)
            if reason:
                log.warning("%s: %s", REFUSED, reason)
                raise DNSLookupError(f"{REFUSED}: {reason}")
            return address

        return resolved.addCallback(check)


class AddressPolicyMiddleware:
    """Refuses requests the resolver never sees: URLs naming an IP address, other schemes."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressPolicyMiddleware:
        return cls(policy_for(crawler))

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if parts.scheme not in _SCHEMES and not self.policy.exempt(host):
            raise AddressRefused(f"{REFUSED}: scheme {parts.scheme!r} of {request.url}")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        reason = self.policy.refusal(host, host)
        if reason:
            raise AddressRefused(f"{REFUSED}: {reason}")
