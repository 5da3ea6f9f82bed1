"""Web sites served on loopback for tests: distinct 127.0.0.x addresses are distinct hosts.

A site is a dict mapping a path (with its query string, if any) to a `Page`. Unknown paths give
404. Every request is recorded, so a test can assert what was (and was not) fetched.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )
    delay: float = 0.0  # seconds to wait before answering (slow pages, timeouts)
    # Answer conditional requests with 304 when If-None-Match equals this ETag.
    etag: str | None = None

    @property
    def bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[[BaseHTTPRequestHandler], Page]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class Site:
    """One host on loopback. ``site.url("/a")`` is its absolute URL."""

    def __init__(self, host: str, pages: dict[str, Page | Handler] | None = None) -> None:
        self.host = host
        self.pages: dict[str, Page | Handler] = dict(pages or {})
        self.requests: list[Request] = []
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                site.requests.append(Request(self.command, self.path, dict(self.headers.items())))
                entry = site.pages.get(self.path)
                if entry is None:
                    page = Page(b"not found", status=404, headers={"Content-Type": "text/plain"})
                elif callable(entry):
                    page = entry(self)
                else:
                    page = entry
                if page.delay:
                    time.sleep(page.delay)
                headers = dict(page.headers)
                if page.etag:
                    headers["ETag"] = page.etag
                    if self.headers.get("If-None-Match") == page.etag:
                        self.send_response(304)
                        for name, value in headers.items():
                            self.send_header(name, value)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                body = page.bytes
                self.send_response(page.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def paths_requested(self) -> list[str]:
        return [r.path for r in self.requests]

    def start(self) -> Site:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve_site() -> Iterator[Callable[..., Site]]:
    """serve_site("127.0.0.2", {"/": Page("<html>…")}) -> a started Site, stopped after the test."""
    started: list[Site] = []

    def start(host: str = "127.0.0.1", pages: dict[str, Page | Handler] | None = None) -> Site:
        site = Site(host, pages).start()
        started.append(site)
        return site

    yield start
    for site in started:
        site.stop()
