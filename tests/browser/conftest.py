"""A live app on loopback (uvicorn in a thread) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from brwatch.storage import Database
from brwatch.web import WebSettings, create_app
from tests.conftest import ROOT
from tests.sites import Site
from tests.web_data import populate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class LiveApp:
    base: str
    db: Database
    ids: dict[str, int]
    canary: Site  # a host the hostile page tries to reach; it must see no request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    canary = Site("127.0.0.1").start()
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'brwatch.db'}")
    ids = populate(db, canary=canary.base)
    port = _free_port()
    config = uvicorn.Config(
        create_app(db, WebSettings(secret_key="browser")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", db, ids, canary)
    server.should_exit = True
    thread.join(timeout=10)
    canary.stop()
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A full-page picture leaves out frames Chromium has not painted yet (the snapshot's
    # sandboxed srcdoc below the fold): picturing each frame alone first paints it.
    for frame in page.locator("iframe").all():  # type: ignore[attr-defined]
        frame.screenshot()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
