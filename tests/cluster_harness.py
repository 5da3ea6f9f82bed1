"""A cluster on one machine for tests: a fresh PostgreSQL database, a private redis-server,
`brwatch worker` and `brwatch schedule` processes, and sites on loopback that log every request
with its arrival time, client (the worker's User-Agent) and how many were in flight."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, select, text

from brwatch.cluster import jobs
from brwatch.storage import Database
from brwatch.storage.models import CrawlJob
from tests.conftest import PG_ADMIN_URL

REDIS_SERVER = "redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def article_html(title: str) -> str:
    paragraphs = "".join(
        f"<p>{title}: officials said the Belt and Road Initiative will extend the railway and "
        f"port links agreed this week, paragraph {n}, with financing from partner banks.</p>"
        for n in range(6)
    )
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    )


@dataclass(frozen=True)
class Hit:
    at: float  # time.monotonic() in the test process, comparable across sites
    host: str
    path: str
    client: str
    in_flight: int  # requests of the site's politeness group in flight, this one included


@dataclass
class Tally:
    """Requests in flight across the sites of one politeness group."""

    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class LoggedSite:
    def __init__(
        self,
        host: str,
        pages: dict[str, str],
        tally: Tally | None = None,
        answer_after: float = 0.0,
    ) -> None:
        self.host = host
        self.pages = pages
        self.tally = tally or Tally()
        self.hits: list[Hit] = []
        self.answer_after = answer_after
        # Paths whose answer waits until the test releases it (a request provably in flight).
        self.held: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                with site.tally.lock:
                    site.tally.in_flight += 1
                    site.hits.append(
                        Hit(time.monotonic(), site.host, self.path,
                            self.headers.get("User-Agent", ""), site.tally.in_flight)
                    )  # fmt: skip
                try:
                    site.arrived.setdefault(self.path, threading.Event()).set()
                    release = site.held.get(self.path)
                    if release is not None:
                        release.wait(120)
                    time.sleep(site.answer_after)
                    body = site.pages.get(self.path)
                    with contextlib.suppress(OSError):
                        self._answer(body)
                finally:
                    with site.tally.lock:
                        site.tally.in_flight -= 1

            def _answer(self, body: str | None) -> None:
                data = (body or "").encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hold(self, path: str) -> threading.Event:
        self.held[path] = threading.Event()
        self.arrived[path] = threading.Event()
        return self.held[path]

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def stop(self) -> None:
        for event in self.held.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()


def news_site(host: str, prefix: str, count: int, **kwargs: Any) -> LoggedSite:
    """A listing at / (and /also) linking to ``count`` articles under /news/."""
    articles = {
        f"/news/{prefix}-{n}.html": article_html(f"{prefix} story {n}") for n in range(count)
    }
    listing = (
        "<html><body>" + "".join(f"<a href='{p}'>{p}</a>" for p in articles) + "</body></html>"
    )
    return LoggedSite(host, {"/": listing, "/also": listing, **articles}, **kwargs)


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Member:
    """A `brwatch worker` or `brwatch schedule` process with its output in a file."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 60) -> int | None:
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class Cluster:
    def __init__(self, workdir: Path, db_url: str, redis: RedisServer) -> None:
        self.workdir = workdir
        self.db_url = db_url
        self.db = Database(db_url)
        self.redis = redis
        self.sources_path = workdir / "sources.yaml"
        self.members: list[Member] = []
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def write_sources(self, *sources: dict[str, Any]) -> None:
        self.sources_path.write_text(yaml.safe_dump({"sources": list(sources)}))

    def worker(
        self, worker_id: str, *extra: str, lease: float = 30, db_url: str = "", jobs: int = 1
    ) -> Member:
        """A worker; one crawl at a time by default, so the jobs spread over the workers."""
        argv = [
            sys.executable, "-P", "-m", "brwatch.cli", "--db", db_url or self.db_url,
            "--sources", str(self.sources_path), "worker", "--redis", self.redis.url,
            "--worker-id", worker_id, "--lease", str(lease), "--jobs", str(jobs),
            "--set", f"USER_AGENT=brwatch-test {worker_id}",
            "--set", "BRWATCH_WORKERS=1",
            "--set", "BRWATCH_STORE_INTERVAL=0.2",
            "--set", "DOWNLOAD_TIMEOUT=20",
            "--set", "RETRY_TIMES=0",
            *extra,
        ]  # fmt: skip
        member = Member(argv, self.workdir / f"{worker_id}.log", self.env)
        self.members.append(member)
        return member

    def scheduler(self, name: str, **settings: str) -> Member:
        argv = [
            sys.executable, "-P", "-m", "brwatch.cli", "--db", self.db_url,
            "--sources", str(self.sources_path), "schedule", "--redis", self.redis.url,
        ]  # fmt: skip
        env = {
            **self.env,
            **{"BRWATCH_SCHEDULE_" + key.upper(): value for key, value in settings.items()},
        }
        member = Member(argv, self.workdir / f"{name}.log", env)
        self.members.append(member)
        return member

    def wait_workers_live(self, count: int, timeout: float = 180) -> None:
        """Until ``count`` workers have joined (their heartbeats are there)."""
        from brwatch.cluster.gates import live_worker_count

        def live() -> int:
            with self.db.session() as session:
                return live_worker_count(session, 45)

        wait_until(lambda: live() >= count, timeout, f"{count} workers to join")

    def enqueue(self, *sources: str) -> None:
        with self.db.session() as session:
            for source in sources:
                assert jobs.enqueue(session, source, "test")

    def job_states(self) -> dict[str, str]:
        with self.db.session() as session:
            rows = session.execute(select(CrawlJob.source, CrawlJob.state).order_by(CrawlJob.id))
            return {source: state for source, state in rows}

    def wait_jobs_done(self, timeout: float = 180) -> None:
        def done() -> bool:
            states = self.job_states()
            return bool(states) and all(state in ("done", "failed") for state in states.values())

        try:
            wait_until(done, timeout, "every job to end")
        except AssertionError as exc:
            logs = "\n\n".join(m.output()[-3000:] for m in self.members)
            raise AssertionError(f"{exc}: {self.job_states()}\n{logs}") from None

    def close(self) -> None:
        for member in self.members:
            if member.process.poll() is None:
                member.process.kill()
                member.process.wait()
            member.log.close()
        self.db.dispose()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of its own for the test's processes, dropped afterwards."""
    name = f"brwatch_cluster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def cluster(tmp_path: Path, pg_database: str, redis_server: RedisServer) -> Iterator[Cluster]:
    made = Cluster(tmp_path, pg_database, redis_server)
    yield made
    made.close()


class TcpProxy:
    """A TCP proxy to PostgreSQL that a test can cut (every connection dropped, new ones
    refused) and restore, to play a lost database connection."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.restore()

    def url(self, database_url: str) -> str:
        return database_url.replace(":5432/", f":{self.port}/")

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.connections.clear()
