"""Review queue speed at 100,000 articles, as a user waits for it: real HTTP to `brwatch serve`.

For each database (SQLite and PostgreSQL by default) the script fills it with
`benchmarks/synthetic_db.py` (100,000 articles with realistic titles from
`benchmarks/headlines.py`: shared common words, Chinese, rare words; reused when it already
holds enough), adds an editor account, starts `brwatch serve` as a subprocess on a free
loopback port, and logs in like a browser (GET /login for the session cookie and the CSRF
field, POST the form, follow the cookie). It then requests every queue filter, sort and title
search, the JSON API and `/healthz` in one loop, 40 rounds after one warm-up round, so every
path sees the same load, and prints p50 and p95 per path per database.

The script runs no ANALYZE of its own: the plans are the ones brwatch gets by itself
(`brwatch serve` gathers planner statistics when a database has none).

    python benchmarks/web.py                                  # both databases, 100,000 articles
    python benchmarks/web.py --db sqlite:///tmp/web.db --repeats 10
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_db import populate

from brwatch.accounts.users import create_user
from brwatch.storage import Database
from brwatch.storage.models import Article, User

WORKDIR = Path("/tmp/brwatch-webbench")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/brwatch_webbench"
USER, PASSWORD = "bench", "benchmark-password"
TARGET_MS = 200.0


def _queue(**params: str) -> str:
    return "/queue" + ("?" + urlencode(params) if params else "")


# (name, path): every filter, every sort, deep pages and title searches — common English
# words, a phrase, substrings, Chinese of two and four characters, rare words, no hits.
PATHS: list[tuple[str, str]] = [
    ("pending, newest", _queue()),
    ("sort oldest", _queue(sort="oldest")),
    ("sort published", _queue(sort="published")),
    ("sort source", _queue(sort="source")),
    ("sort status", _queue(sort="status")),
    ("page 40", _queue(page="40")),
    ("any state", _queue(review="any")),
    ("off-topic too, any state", _queue(review="any", include_irrelevant="true")),
    ("review cleared", _queue(review="cleared")),
    ("status prohibited", _queue(status="prohibited")),
    ("status + source", _queue(status="permission_required", source="xinhua")),
    ("link missing", _queue(link="missing")),
    ("conflicts, any state", _queue(conflict="yes", review="any")),
    ("source tass", _queue(source="tass")),
    ("lang zh", _queue(lang="zh")),
    (
        "lang + dates, by published",
        _queue(lang="zh", since="2026-03-01", until="2026-06-30", sort="published"),
    ),
    ("q China (common)", _queue(q="China", review="any")),
    ("q cooperation (common)", _queue(q="cooperation")),
    ("q 'Belt and Road' (phrase)", _queue(q="Belt and Road", review="any")),
    ("q rail (substring)", _queue(q="rail", review="any", include_irrelevant="true")),
    ("q China, oldest", _queue(q="china", sort="oldest")),
    ("q Montenegro (rare)", _queue(q="Montenegro", review="any")),
    ("q no hits", _queue(q="cooperation 12345", review="any")),
    ("q 合作 (zh common)", _queue(q="合作", review="any")),
    ("q 一带一路 (zh common)", _queue(q="一带一路")),
    ("q 中国 (zh 2 chars)", _queue(q="中国", review="any", include_irrelevant="true")),
    ("q 黑山 (zh rare)", _queue(q="黑山", review="any")),
    ("q 铁路项目 (zh)", _queue(q="铁路项目", review="any")),
    ("q Китай (ru)", _queue(q="Китай", review="any")),
    ("JSON API, status", "/api/queue?status=permission_required"),
    ("JSON API, q China", "/api/queue?q=China&review=any"),
    ("/healthz", "/healthz"),
]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(url: str, articles: int) -> int:
    """The database filled to `articles` and the benchmark's editor account; its size."""
    if url.startswith("postgresql"):
        _create_postgres_database(url)
    db = Database(url)
    try:
        with db.session() as session:
            have = session.scalar(select(func.count()).select_from(Article)) or 0
        if have < articles:
            started = time.perf_counter()
            populate(url, articles - have)
            took = time.perf_counter() - started
            print(f"  populated {articles - have} articles in {took:.0f} s")
        with db.session() as session:
            if session.scalar(select(User).where(User.name == USER)) is None:
                create_user(session, USER, "editor", PASSWORD)
            return session.scalar(select(func.count()).select_from(Article)) or 0
    finally:
        db.dispose()


def _create_postgres_database(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if found is None:
            connection.execute(f'CREATE DATABASE "{parsed.database}"')


@contextmanager
def _serving(url: str) -> Iterator[str]:
    """`brwatch serve` on this database, as a subprocess; yields its base URL."""
    port = _free_port()
    brwatch = Path(sys.executable).with_name("brwatch")
    env = {**os.environ, "BRWATCH_SECRET_KEY": "web-benchmark"}
    server = subprocess.Popen(
        [str(brwatch), "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the first start may migrate and gather statistics
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"brwatch serve did not start on {url}")
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _logged_in(base: str) -> httpx.Client:
    """A client holding a session as a browser does: the login form's cookie and CSRF field."""
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("no CSRF field on /login")
    answer = client.post(
        "/login",
        data={"csrf_token": token[1], "next": "/queue", "name": USER, "password": PASSWORD},
    )
    if answer.status_code != 303:
        raise SystemExit(f"login failed: HTTP {answer.status_code}")
    return client


def _time_paths(client: httpx.Client, repeats: int) -> dict[str, list[float]]:
    """Every path once per round, `repeats` rounds after a warm-up round (ms per request)."""
    samples: dict[str, list[float]] = {name: [] for name, _ in PATHS}
    for round_ in range(repeats + 1):
        for name, path in PATHS:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            if round_:
                samples[name].append(elapsed)
    return samples


def _label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db",
        action="append",
        help=f"database URL, repeatable (default: SQLite in {WORKDIR} and {POSTGRES})",
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    urls = args.db or [f"sqlite:///{WORKDIR}/web.db", POSTGRES]

    results: dict[str, dict[str, tuple[float, float]]] = {}
    for url in urls:
        print(f"{_label(url)}: {make_url(url).render_as_string()}")
        total = _prepare(url, args.articles)
        with _serving(url) as base, closing(_logged_in(base)) as client:
            samples = _time_paths(client, args.repeats)
        results[url] = {
            name: (statistics.median(times), _percentile(times, 0.95))
            for name, times in samples.items()
        }
        print(f"  {total} articles, {args.repeats} requests per path")

    header = "| request | " + " | ".join(f"{_label(u)} p50 | {_label(u)} p95" for u in urls) + " |"
    print("\n" + header)
    print("|---|" + "---:|---:|" * len(urls))
    for name, _ in PATHS:
        cells = " | ".join(f"{results[u][name][0]:.0f} | {results[u][name][1]:.0f}" for u in urls)
        print(f"| {name} | {cells} |")
    for url in urls:
        queue_p95 = {n: p95 for n, (_, p95) in results[url].items() if n != "/healthz"}
        worst = max(queue_p95, key=queue_p95.__getitem__)
        over = sum(p95 >= TARGET_MS for p95 in queue_p95.values())
        print(
            f"{_label(url)}: worst p95 {queue_p95[worst]:.0f} ms ({worst}); "
            f"{over} of {len(queue_p95)} paths at or over {TARGET_MS:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
