"""Which addresses the safe fetcher may connect to.

Links taken from untrusted pages must never make brwatch reach its own machine, the local
network or a cloud metadata service, so every address is judged here *after* DNS resolution,
on the exact address that will be connected to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from brwatch.errors import BrwatchError
from brwatch.settings import CoreSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_NETWORKS_ENV = "BRWATCH_ALLOWED_NETWORKS"

# IPv6 ranges that carry (and so can smuggle) an IPv4 address, besides ::ffff:0:0/96.
_IPV4_EMBEDDING = (
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
    ipaddress.ip_network("::/96"),  # deprecated IPv4-compatible
)
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_SHARED_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class NetworkPolicyError(BrwatchError, ValueError):
    """The allowed-networks setting is malformed; the message names the setting and the value."""


def parse_networks(values: Iterable[str], where: str = ALLOWED_NETWORKS_ENV) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise NetworkPolicyError(
                f"{where}: {value!r} is not a network in CIDR form ({exc})"
            ) from exc
    return networks


def allowed_networks_from_env() -> list[IPNetwork]:
    return parse_networks(CoreSettings.load().allowed_networks.split(","))


def refusal_reason(address: IPAddress, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be connected to, or None when it is a public (or opened) address."""
    for network in allowed:
        if address.version == network.version and address in network:
            return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"IPv4-mapped IPv6 address {address}"
        if address.sixtofour is not None or address.teredo is not None:
            return f"IPv6 transition address {address} embeds an IPv4 address"
        if (
            any(address in net for net in _IPV4_EMBEDDING)
            and not address.is_unspecified
            and not (address.is_loopback)
        ):
            return f"IPv6 address {address} embeds an IPv4 address"
        if address in _UNIQUE_LOCAL:
            return f"unique-local address {address}"
    checks = (
        (address.is_unspecified, "unspecified address"),
        (address.is_loopback, "loopback address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (address.is_private, "private address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _SHARED_CGNAT,
            "shared (CGNAT) address",
        ),
        (address.is_reserved, "reserved address"),
        (not address.is_global, "non-public address"),
    )
    for refused, label in checks:
        if refused:
            return f"{label} {address}"
    return None
