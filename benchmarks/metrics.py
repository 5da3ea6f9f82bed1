"""How long a /metrics scrape takes on a large database.

    python benchmarks/metrics.py [--articles 100000] [--runs 50000]

Fills a fresh SQLite database with N articles (30 sources, a spread of rights statuses, a tenth
flagged and pending) and M finished crawl runs with errors by kind (about a year of half-hourly
runs of 3 sources, or a month of 30), then times the first scrape (which sums every run once for
the day's cache) and the median of ten later ones.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import insert

from brwatch.metrics import build_registry
from brwatch.storage import Database
from brwatch.storage.models import Article, CrawlRun

STATUSES = ("prohibited", "permission_required", "attribution_required", "open_license", "unknown")


def fill(db: Database, articles: int, runs: int) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        for start in range(0, articles, 5000):
            session.execute(
                insert(Article),
                [
                    {
                        "canonical_url": f"https://bench.example/{i}",
                        "url": f"https://bench.example/{i}",
                        "source": f"s{i % 30}",
                        "relevant": i % 3 != 0,
                        "rights_status": STATUSES[i % len(STATUSES)],
                        "review_state": "pending" if i % 10 == 0 else "cleared",
                        "fetched_at": now - timedelta(minutes=i),
                        "first_seen_at": now - timedelta(minutes=i),
                        "updated_at": now,
                    }
                    for i in range(start, min(start + 5000, articles))
                ],
            )
        for start in range(0, runs, 5000):
            session.execute(
                insert(CrawlRun),
                [
                    {
                        "source": f"s{i % 30}",
                        "status": "ok" if i % 7 else "failed",
                        "started_at": now - timedelta(minutes=30 * i),
                        "finished_at": now - timedelta(minutes=30 * i - 5),
                        "pages": 40,
                        "items": 12,
                        "errors": {"timeout": i % 3, "http_5xx": i % 2},
                        "stats": {},
                    }
                    for i in range(start, min(start + 5000, runs))
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        db = Database(f"sqlite:///{Path(work) / 'metrics.db'}")
        fill(db, args.articles, args.runs)
        registry = build_registry(db)
        started = time.perf_counter()
        body = generate_latest(registry)
        first = time.perf_counter() - started
        later = []
        for _ in range(10):
            started = time.perf_counter()
            generate_latest(registry)
            later.append(time.perf_counter() - started)
        print(
            f"{args.articles} articles, {args.runs} runs: first scrape {first * 1000:.0f} ms, "
            f"later scrapes {statistics.median(later) * 1000:.0f} ms (median of 10), "
            f"{len(body.splitlines())} lines"
        )


if __name__ == "__main__":
    main()
