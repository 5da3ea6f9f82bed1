"""The safe fetcher never reaches a non-public address: not directly, not through DNS, not
through a redirect. A canary site on 127.0.0.1 proves that nothing was sent, and a wrapper
around socket.create_connection proves that no connection was even attempted."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator

import pytest

from brwatch.fetch import FetchError, FetchRefused, NetworkPolicyError, SafeFetcher, refusal_reason
from brwatch.fetch import fetcher as fetcher_module
from tests.sites import Page, Site

REFUSED_ADDRESSES = {
    "loopback": "127.0.0.1",
    "loopback-other": "127.9.9.9",
    "ipv6-loopback": "::1",
    "private-10": "10.1.2.3",
    "private-172": "172.16.5.4",
    "private-172-top": "172.31.255.254",
    "private-192": "192.168.1.1",
    "metadata": "169.254.169.254",
    "link-local-v6": "fe80::1",
    "unique-local": "fc00::1",
    "unique-local-fd": "fd12:3456::1",
    "ipv4-mapped": "::ffff:127.0.0.1",
    "ipv4-mapped-metadata": "::ffff:169.254.169.254",
    "nat64-embedded": "64:ff9b::a9fe:a9fe",
    "unspecified": "0.0.0.0",
    "unspecified-v6": "::",
    "cgnat": "100.64.0.1",
    "multicast": "224.0.0.1",
    "reserved": "240.0.0.1",
    "broadcast": "255.255.255.255",
}


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every TCP connection the fetcher attempts."""
    attempts: list[tuple] = []
    real = socket.create_connection

    def recording(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(
        fetcher_module.httpcore._backends.sync.socket, "create_connection", recording
    )
    return attempts


@pytest.fixture(scope="module")
def _canary_site() -> Iterator[Site]:
    # One canary for the module: starting and stopping a server per test costs half a second.
    site = Site("127.0.0.1", {"/": Page("canary"), "/secret": Page("secret")}).start()
    yield site
    site.stop()


@pytest.fixture
def canary(_canary_site: Site) -> Site:
    _canary_site.requests.clear()
    return _canary_site


@pytest.fixture(autouse=True)
def no_env_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRWATCH_ALLOWED_NETWORKS", raising=False)


@pytest.mark.parametrize("label", sorted(REFUSED_ADDRESSES))
def test_policy_refuses_every_non_public_class(label: str) -> None:
    import ipaddress

    assert refusal_reason(ipaddress.ip_address(REFUSED_ADDRESSES[label])) is not None


def test_policy_allows_public_addresses_and_opened_ranges() -> None:
    import ipaddress

    assert refusal_reason(ipaddress.ip_address("8.8.8.8")) is None
    assert refusal_reason(ipaddress.ip_address("2001:4860:4860::8888")) is None
    opened = [ipaddress.ip_network("127.0.0.0/8")]
    assert refusal_reason(ipaddress.ip_address("127.0.0.5"), opened) is None
    assert refusal_reason(ipaddress.ip_address("10.0.0.1"), opened) is not None


@pytest.mark.parametrize("label", sorted(REFUSED_ADDRESSES))
def test_literal_addresses_are_refused_without_connecting(label, canary, connections) -> None:
    address = REFUSED_ADDRESSES[label]
    with pytest.raises(FetchRefused):
        SafeFetcher().get(f"http://{_url_host(address)}:{canary.port}/secret")
    assert connections == []
    assert canary.requests == []


@pytest.mark.parametrize("label", sorted(REFUSED_ADDRESSES))
def test_names_resolving_to_refused_addresses_are_refused(label, canary, connections) -> None:
    address = REFUSED_ADDRESSES[label]
    fetcher = SafeFetcher(resolver=lambda host, port: [address])
    with pytest.raises(FetchRefused, match="resolves to"):
        fetcher.get(f"http://innocent.example.com:{canary.port}/secret")
    assert connections == []
    assert canary.requests == []


def test_localhost_through_the_system_resolver_is_refused(canary, connections) -> None:
    with pytest.raises(FetchRefused):
        SafeFetcher().get(f"http://localhost:{canary.port}/secret")
    assert connections == [] and canary.requests == []


def test_a_name_mixing_public_and_private_answers_is_refused(canary, connections) -> None:
    fetcher = SafeFetcher(resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"])
    with pytest.raises(FetchRefused):
        fetcher.get(f"http://rebind.example.com:{canary.port}/secret")
    assert connections == [] and canary.requests == []


@pytest.mark.parametrize("label", ["loopback", "metadata", "private-10", "ipv4-mapped"])
def test_redirect_from_an_allowed_host_to_a_refused_address(label, serve_site, canary) -> None:
    address = REFUSED_ADDRESSES[label]
    target = f"http://{_url_host(address)}:{canary.port}/secret"
    site = serve_site("127.0.0.2", {"/go": Page("", 302, {"Location": target})})
    with pytest.raises(FetchRefused):
        SafeFetcher(allowed_networks=["127.0.0.2/32"]).get(site.url("/go"))
    assert site.paths_requested() == ["/go"]
    assert canary.requests == []


def test_redirect_to_a_name_that_resolves_to_loopback(serve_site, canary) -> None:
    site = serve_site(
        "127.0.0.2",
        {"/go": Page("", 301, {"Location": f"http://evil.example.net:{canary.port}/secret"})},
    )
    names = {"good.example.com": ["127.0.0.2"], "evil.example.net": ["127.0.0.1"]}
    fetcher = SafeFetcher(
        allowed_networks=["127.0.0.2/32"], resolver=lambda host, port: names[host]
    )
    with pytest.raises(FetchRefused, match=r"evil\.example\.net"):
        fetcher.get(f"http://good.example.com:{site.port}/go")
    assert canary.requests == []


def test_follows_redirect_chains_and_connects_to_the_checked_address(serve_site) -> None:
    site = serve_site(
        "127.0.0.2",
        {
            "/a": Page("", 301, {"Location": "/b"}),
            "/b": Page("", 302, {"Location": "http://other.example.org:%PORT%/c"}),
            "/c": Page("landed"),
        },
    )
    site.pages["/b"].headers["Location"] = f"http://other.example.org:{site.port}/c"
    fetcher = SafeFetcher(
        allowed_networks=["127.0.0.2/32"], resolver=lambda host, port: ["127.0.0.2"]
    )
    response = fetcher.get(f"http://first.example.org:{site.port}/a")
    assert response.status == 200 and response.body == b"landed"
    assert response.final_url == f"http://other.example.org:{site.port}/c"
    assert response.redirects == [
        f"http://first.example.org:{site.port}/a",
        f"http://first.example.org:{site.port}/b",
    ]
    assert response.peer == "127.0.0.2"
    # The Host header keeps the name, though the connection went to the checked IP.
    assert site.requests[-1].headers["Host"] == f"other.example.org:{site.port}"


def test_too_many_redirects(serve_site) -> None:
    site = serve_site("127.0.0.2", {"/loop": Page("", 302, {"Location": "/loop"})})
    with pytest.raises(FetchError) as info:
        SafeFetcher(max_redirects=3, allowed_networks=["127.0.0.2/32"]).get(site.url("/loop"))
    assert info.value.kind == "redirects"
    assert len(site.requests) == 4


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "data:,hi", "//x"]
)
def test_only_http_and_https(url: str, connections) -> None:
    with pytest.raises(FetchRefused):
        SafeFetcher().get(url)
    assert connections == []


def test_urls_with_credentials_are_refused(serve_site) -> None:
    site = serve_site("127.0.0.2", {"/": Page("x")})
    with pytest.raises(FetchRefused, match="credentials"):
        SafeFetcher(allowed_networks=["127.0.0.2/32"]).get(f"http://user:pw@127.0.0.2:{site.port}/")
    assert site.requests == []


def test_no_cookies_are_carried_across_redirects(serve_site) -> None:
    site = serve_site(
        "127.0.0.2",
        {
            "/set": Page("", 302, {"Location": "/next", "Set-Cookie": "session=abc; Path=/"}),
            "/next": Page("ok"),
        },
    )
    SafeFetcher(allowed_networks=["127.0.0.2/32"]).get(site.url("/set"))
    assert [r.path for r in site.requests] == ["/set", "/next"]
    assert all(
        "Cookie" not in r.headers and "Authorization" not in r.headers for r in site.requests
    )


def test_byte_cap_refuses_or_truncates(serve_site) -> None:
    site = serve_site("127.0.0.2", {"/big": Page(b"x" * 50_000)})
    fetcher = SafeFetcher(max_bytes=10_000, allowed_networks=["127.0.0.2/32"])
    with pytest.raises(FetchError) as info:
        fetcher.get(site.url("/big"))
    assert info.value.kind == "too_large"
    cut = fetcher.get(site.url("/big"), truncate=True)
    assert cut.truncated and len(cut.body) == 10_000


def test_byte_cap_applies_to_decompressed_bodies(serve_site) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    site = serve_site(
        "127.0.0.2",
        {"/bomb": Page(bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})},
    )
    with pytest.raises(FetchError) as info:
        SafeFetcher(max_bytes=100_000, allowed_networks=["127.0.0.2/32"]).get(site.url("/bomb"))
    assert info.value.kind == "too_large"


def test_gzip_bodies_are_decoded(serve_site) -> None:
    body = gzip.compress("<p>新华社</p>".encode())
    site = serve_site(
        "127.0.0.2",
        {"/": Page(body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})},
    )
    response = SafeFetcher(allowed_networks=["127.0.0.2/32"]).get(site.url("/"))
    assert response.body.decode() == "<p>新华社</p>"


def test_total_time_cap(serve_site) -> None:
    site = serve_site("127.0.0.2", {"/slow": Page("late", delay=2.0)})
    with pytest.raises(FetchError) as info:
        SafeFetcher(timeout=0.4, allowed_networks=["127.0.0.2/32"]).get(site.url("/slow"))
    assert info.value.kind == "timeout"


def test_connection_refused_is_a_fetch_error_not_a_crash() -> None:
    with pytest.raises(FetchError) as info:
        SafeFetcher(allowed_networks=["127.0.0.0/8"]).get("http://127.0.0.2:9/")
    assert info.value.kind == "connect"


def test_unresolvable_name_is_a_dns_error() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise socket.gaierror("Name or service not known")

    with pytest.raises(FetchError) as info:
        SafeFetcher(resolver=failing).get("http://no-such-host.invalid/")
    assert info.value.kind == "dns"


def test_environment_opens_chosen_networks(serve_site, monkeypatch, canary) -> None:
    site = serve_site("127.0.0.2", {"/": Page("hello")})
    monkeypatch.setenv("BRWATCH_ALLOWED_NETWORKS", "10.0.0.0/8, 127.0.0.2/32")
    assert SafeFetcher().get(site.url("/")).body == b"hello"
    with pytest.raises(FetchRefused):
        SafeFetcher().get(canary.url("/secret"))
    assert canary.requests == []


def test_bad_allowed_networks_setting_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("BRWATCH_ALLOWED_NETWORKS", "127.0.0.0/8,not-a-network")
    with pytest.raises(NetworkPolicyError, match=r"BRWATCH_ALLOWED_NETWORKS.*not-a-network"):
        SafeFetcher()


def test_international_names_paths_and_fragments_go_out_encoded(serve_site) -> None:
    site = serve_site("127.0.0.2", {"/%E8%B7%AF%E5%BE%84?q=%E4%B8%AD": Page("ok")})
    seen: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        seen.append(host)
        return ["127.0.0.2"]

    fetcher = SafeFetcher(allowed_networks=["127.0.0.2/32"], resolver=resolver)
    response = fetcher.get(f"http://新华网.中国:{site.port}/路径?q=中#section")
    assert response.status == 200 and response.body == b"ok"
    assert seen == ["xn--xkrr14bows.xn--fiqs8s"]
    assert site.requests[0].headers["Host"] == f"xn--xkrr14bows.xn--fiqs8s:{site.port}"


def test_a_resolver_that_hangs_counts_against_the_time_cap() -> None:
    import threading

    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["93.184.216.34"]

    try:
        with pytest.raises(FetchError) as info:
            SafeFetcher(timeout=0.3, resolver=hanging).get("http://slow-dns.example.com/")
        assert info.value.kind == "timeout"
    finally:
        release.set()


def test_opening_a_range_does_not_open_its_ipv4_mapped_twin(canary, connections) -> None:
    fetcher = SafeFetcher(allowed_networks=["127.0.0.0/8"])
    with pytest.raises(FetchRefused, match="IPv4-mapped"):
        fetcher.get(f"http://[::ffff:127.0.0.1]:{canary.port}/secret")
    assert connections == [] and canary.requests == []
