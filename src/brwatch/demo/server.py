"""Serve the bundled sample sites on loopback, one 127.0.0.x address per site, on free ports.

The sites are static files (see sites.yaml). They are read once at start, with "{{site:<name>}}"
replaced by each site's base URL, and answered from memory with ETags so re-crawls can ask
conditionally. Plain stdlib HTTP: the demo must run anywhere brwatch is installed, offline.
"""

from __future__ import annotations

import errno
import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress, ValidationError

from brwatch.errors import BrwatchError

DEMO_DIR = Path(__file__).resolve().parent
MANIFEST = DEMO_DIR / "sites.yaml"
SITES_DIR = DEMO_DIR / "sites"
PLACEHOLDER = re.compile(rb"\{\{site:([a-z0-9-]+)\}\}")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
LAST_MODIFIED = "Sat, 28 Nov 2026 12:00:00 GMT"  # the sample stories' week; stable across runs


class SiteSpec(BaseModel):
    """One sample site as declared in sites.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    address: IPvAnyAddress
    lang: str
    shows: str
    start_urls: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    headers: dict[str, dict[str, str]] = Field(default_factory=dict)

    @property
    def root(self) -> Path:
        return SITES_DIR / self.name


class DemoDataError(BrwatchError):
    """The bundled demo data is broken (a packaging or editing mistake)."""


def load_site_specs(manifest: Path = MANIFEST) -> list[SiteSpec]:
    try:
        raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        specs = [SiteSpec.model_validate(entry) for entry in raw["sites"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise DemoDataError(f"{manifest}: {exc}") from exc
    for spec in specs:
        if not spec.root.is_dir():
            raise DemoDataError(f"{manifest}: site {spec.name!r} has no directory {spec.root}")
    return specs


@dataclass(frozen=True)
class Response:
    body: bytes
    headers: Mapping[str, str]


@dataclass
class RunningSite:
    """A started site: where it listens and what it was asked for."""

    spec: SiteSpec
    server: ThreadingHTTPServer
    host: str
    pages: dict[str, Response] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def serve_demo_sites(specs: list[SiteSpec] | None = None) -> Iterator[dict[str, RunningSite]]:
    """Start every sample site (by name), stop them all on exit."""
    specs = load_site_specs() if specs is None else specs
    running: dict[str, RunningSite] = {}
    serving: list[RunningSite] = []
    try:
        for spec in specs:
            running[spec.name] = _bind(spec)
        bases = {name: site.base_url.encode() for name, site in running.items()}
        for site in running.values():
            site.pages = _render(site.spec, bases)
        for site in running.values():
            name = f"demo-{site.spec.name}"
            # A short poll interval: stopping seven sites one after another stays instant.
            serve = partial(site.server.serve_forever, poll_interval=0.1)
            threading.Thread(target=serve, name=name, daemon=True).start()
            serving.append(site)
        yield running
    finally:
        for site in serving:
            site.server.shutdown()
        for site in running.values():
            site.server.server_close()


def _bind(spec: SiteSpec) -> RunningSite:
    """Listen on the site's own loopback address, or on 127.0.0.1 where only that one exists
    (macOS): distinct ports still make distinct sites."""
    site_ref: list[RunningSite] = []
    handler = _handler_for(site_ref)
    try:
        server = ThreadingHTTPServer((str(spec.address), 0), handler)
        host = str(spec.address)
    except OSError as exc:
        if exc.errno != errno.EADDRNOTAVAIL:
            raise
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        host = "127.0.0.1"
    server.daemon_threads = True
    site = RunningSite(spec=spec, server=server, host=host)
    site_ref.append(site)
    return site


def _render(spec: SiteSpec, bases: Mapping[str, bytes]) -> dict[str, Response]:
    pages: dict[str, Response] = {}
    for path in sorted(spec.root.rglob("*")):
        if not path.is_file() or path.suffix not in CONTENT_TYPES:
            continue
        url_path = "/" + path.relative_to(spec.root).as_posix()
        body = _fill_placeholders(path.read_bytes(), bases, f"{spec.name}{url_path}")
        headers = {
            "Content-Type": CONTENT_TYPES[path.suffix],
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
            "Last-Modified": LAST_MODIFIED,
            **spec.headers.get(url_path, {}),
        }
        pages[url_path] = Response(body, headers)
    missing = [
        p for p in [*spec.start_urls, *spec.feeds, *spec.sitemaps, *spec.headers] if p not in pages
    ]
    if missing:
        raise DemoDataError(f"site {spec.name!r}: no file for {', '.join(missing)}")
    return pages


def _fill_placeholders(body: bytes, bases: Mapping[str, bytes], where: str) -> bytes:
    def base(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode()
        if name not in bases:
            raise DemoDataError(f"{where}: unknown site {name!r} in a placeholder")
        return bases[name]

    return PLACEHOLDER.sub(base, body)


def _handler_for(site_ref: list[RunningSite]) -> type[BaseHTTPRequestHandler]:
    class DemoHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "brwatch-demo"

        def log_message(self, format: str, *args: Any) -> None:  # the crawl reports progress
            return

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            site = site_ref[0]
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            site.requested.append(self.path)
            page = site.pages.get("/index.html" if path == "/" else path)
            if page is None:
                self._send(
                    404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n", send_body
                )
            elif self.headers.get("If-None-Match") == page.headers["ETag"]:
                self._send(304, {"ETag": page.headers["ETag"]}, b"", send_body=False)
            else:
                self._send(200, page.headers, page.body, send_body)

        def _send(
            self, status: int, headers: Mapping[str, str], body: bytes, send_body: bool
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

    return DemoHandler
