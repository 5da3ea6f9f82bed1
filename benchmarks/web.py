"""Review queue speed at scale: the real app (TestClient, no network) on 100,000 articles.

Populates a database with `benchmarks/synthetic_db.py` (bulk inserts; reused when it already
holds enough articles), logs in, and times the queue page, its JSON twin and an item page for
several filter combinations. The baseline in the same run is the same queue without the
queue's composite index, to show what the index buys.

    python benchmarks/web.py                      # SQLite in a temporary directory, 100k articles
    python benchmarks/web.py --db postgresql+psycopg://postgres@127.0.0.1:5432/webbench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_db import populate

from brwatch.storage import Database
from brwatch.storage.models import TITLE_TRGM_INDEX, Article, User
from brwatch.web import queue

# Added for the "lang + date + sort" combination; its baseline is the same run without it.
LANG_INDEX = "ix_articles_queue_lang"
LANG_QUERY = "lang + date + sort"
QUERIES = [
    ("queue (pending, newest)", "/queue"),
    ("queue page 40", "/queue?page=40"),
    ("status + source", "/queue?status=prohibited&source=xinhua"),
    (LANG_QUERY, "/queue?lang=zh&since=2026-03-01&until=2026-06-30&sort=published"),
    ("conflicts, any state", "/queue?conflict=yes&review=any"),
    ("title search, no hits", "/queue?q=cooperation%2012&review=any"),
    ("title search, ~1% hits", "/queue?q=project%2012&review=any"),
    ("title search, Chinese", "/queue?q=%E9%A1%B9%E7%9B%AE12&review=any"),
    ("JSON API", "/api/queue?status=permission_required"),
]
INDEX = "ix_articles_queue"
TITLE_SEARCHES = [name for name, _ in QUERIES if name.startswith("title search")]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(client, path: str, repeats: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    for _ in range(2):  # warm caches
        assert client.get(path).status_code == 200
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples), _percentile(samples, 0.95)


@contextmanager
def _index_dropped(db: Database, name: str) -> Iterator[None]:
    """Without one of the models' indexes for a while (then built again)."""
    with db.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {name}"))
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            next(i for i in Article.__table__.indexes if i.name == name).create(connection)


def _without_title_index(db, url, client, queries, repeats):  # type: ignore[no-untyped-def]
    """The title searches as before the trigram index: LIKE reads every flagged title."""
    searches = [(name, path) for name, path in queries if name in TITLE_SEARCHES]
    if url.startswith("sqlite"):
        queue.use_title_index = False
        try:
            return {name: _measure(client, path, repeats) for name, path in searches}
        finally:
            queue.use_title_index = True
    with db.engine.begin() as connection:
        definition = connection.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
            {"name": TITLE_TRGM_INDEX},
        )
        if definition:
            connection.execute(text(f"DROP INDEX {TITLE_TRGM_INDEX}"))
    try:
        return {name: _measure(client, path, repeats) for name, path in searches}
    finally:
        if definition:
            with db.engine.begin() as connection:
                connection.execute(text(definition))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from brwatch.web import WebSettings, create_app

    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='brwatch-webbench-')}/web.db"
    db = Database(url)
    with db.session() as session:
        have = session.scalar(select(func.count()).select_from(Article)) or 0
    if have < args.articles:
        started = time.perf_counter()
        populate(url, args.articles - have)
        print(f"populated {args.articles - have} articles in {time.perf_counter() - started:.1f} s")
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(Article))
        if session.scalar(select(User).where(User.name == "bench")) is None:
            hashed = PasswordHasher().hash("benchmark")
            session.add(User(name="bench", role="editor", password_hash=hashed))
    # Fresh planner statistics (and, on PostgreSQL, the visibility map that index-only scans
    # need), as autovacuum would have made them after a bulk load.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"))

    client = TestClient(create_app(db, WebSettings(secret_key="bench")))
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"name": "bench", "password": "benchmark", "csrf_token": token})
    item = client.get("/api/queue").json()["items"][0]["id"]
    queries = [*QUERIES, ("item page", f"/items/{item}")]

    print(f"\n{total} articles, {db.display_url.split(':')[0]}, {args.repeats} requests each (ms)")
    results = {name: _measure(client, path, args.repeats) for name, path in queries}
    repeats = max(5, args.repeats // 3)
    old_search = _without_title_index(db, url, client, queries, repeats)
    with _index_dropped(db, LANG_INDEX):
        old_search[LANG_QUERY] = _measure(client, dict(queries)[LANG_QUERY], repeats)
    with _index_dropped(db, INDEX):
        baseline = {name: _measure(client, path, repeats) for name, path in queries}
    print(f"{'request':<26}{'p50':>8}{'p95':>8}{'before p95':>22}{'no queue index p95':>21}")
    for name, _ in queries:
        p50, p95 = results[name]
        old = f"{old_search[name][1]:.1f}" if name in old_search else "-"
        print(f"{name:<26}{p50:>8.1f}{p95:>8.1f}{old:>22}{baseline[name][1]:>21.1f}")
    worst = max(p95 for _, p95 in results.values())
    print(f"\nworst p95 {worst:.1f} ms (target: under 200 ms)")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
