"""`brwatch serve` runs the app with uvicorn on the database named by --db."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from fastapi import FastAPI

from brwatch.storage import Database
from tests.web_data import (
    login,
    make_client,
    web_fixture,  # noqa: F401  (the `web` fixture)
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_health_and_guards_the_rest(sqlite_db: Database) -> None:
    port = _free_port()
    env = {**os.environ, "BRWATCH_DB_URL": sqlite_db.url, "BRWATCH_SECRET_KEY": "serve-test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "brwatch.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "brwatch serve did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/queue").status_code == 401
        assert httpx.get(f"{base}/queue").headers["location"].startswith("/login")
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_openapi_describes_the_json_api(web: tuple[FastAPI, Database, dict[str, int]]) -> None:
    client = make_client(web[0])
    login(client, "edith")
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/queue",
        "/api/items/{article_id}",
        "/api/items/{article_id}/decision",
        "/api/grants",
    ):
        assert path in paths
    assert "/login" not in paths  # the HTML pages are not part of the API
    parameters = {p["name"] for p in paths["/api/queue"]["get"]["parameters"]}
    assert {
        "status",
        "source",
        "lang",
        "since",
        "until",
        "conflict",
        "review",
        "sort",
        "page",
    } <= parameters
