"""How long `brwatch report` takes over a large database, in every format.

Fills a database with ``synthetic_db.populate`` (100,000 articles by default), then times, as
the CLI does them, an HTML report and a PDF report over everything stored (targets: HTML under
15 s, PDF under 60 s), plus JSON and CSV with every item. The baseline in the same run is the
naive way: loading every article through the ORM and counting in Python, which is what the
SQL GROUP BY aggregation replaces; the two must agree.

    python benchmarks/reports.py                       # 100,000 articles in a temporary SQLite file
    python benchmarks/reports.py --n 20000
    python benchmarks/reports.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench

A --db that already holds articles is reused as it is (delete it to start afresh).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_db import populate

from brwatch.reports import ITEM_CAPS, build_report, render
from brwatch.storage import Database
from brwatch.storage.models import Article

# Fixed so that repeated runs report over the same period (synthetic data ends 2026-11-01).
NOW = datetime(2026, 11, 29, tzinfo=UTC)
TARGETS = {"html": 15.0, "pdf": 60.0}


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """The step's result, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def naive_relevant_by_status(db: Database) -> Counter[str]:
    """The baseline: every article as an ORM object, counted in Python."""
    counts: Counter[str] = Counter()
    with db.session() as session:
        for article in session.scalars(select(Article)):
            if article.relevant:
                counts[article.rights_status or "not_checked"] += 1
    return counts


def pdf_pages(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages")), "?")


def report_in(db: Database, fmt: str) -> tuple[bytes, Any]:
    """Build and render as `brwatch report --format fmt` does (same item limit)."""
    report = build_report(db, None, None, now=NOW, item_limit=ITEM_CAPS[fmt])
    return render(report, fmt), report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles to generate")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        with db.session() as session:
            stored = session.scalar(select(func.count()).select_from(Article)) or 0
        if stored == 0:
            counts, wall, _ = timed(lambda: populate(url, args.n))
            print(f"populate {args.n} articles: {wall:.1f} s ({counts})")
            stored = args.n
        else:
            print(f"reusing {stored} stored articles at {db.display_url}")
        print(f"database: {db.engine.dialect.name}, {stored} articles\n")

        baseline, base_wall, base_cpu = timed(lambda: naive_relevant_by_status(db))
        print(
            f"baseline  ORM load + count in Python: {base_wall:6.2f} s wall {base_cpu:6.2f} s cpu"
        )

        summary, sql_wall, sql_cpu = timed(
            lambda: build_report(db, None, None, now=NOW, item_limit=0)
        )
        print(
            f"report    every aggregate, no details:  {sql_wall:6.2f} s wall {sql_cpu:6.2f} s cpu"
        )
        results: dict[str, tuple[float, float]] = {}
        for fmt in ("html", "pdf", "json", "csv"):
            (body, report), wall, cpu = timed(lambda fmt=fmt: report_in(db, fmt))
            results[fmt] = (wall, cpu)
            extra = f", {pdf_pages(body)} pages" if fmt == "pdf" else ""
            target = TARGETS.get(fmt)
            verdict = "" if target is None else ("  OK" if wall < target else "  OVER TARGET")
            verdict += f" (target < {target:.0f} s)" if target else ""
            print(
                f"report {fmt:4}  build + render:          {wall:6.2f} s wall {cpu:6.2f} s cpu  "
                f"{len(body) / 1e6:6.1f} MB, {len(report.items)} of {report.items_total} items"
                f"{extra}{verdict}"
            )
        totals = summary.totals["by_status"]
        agree = all(totals.get(status, 0) == n for status, n in baseline.items())
        print(f"\nSQL aggregates agree with the baseline: {agree}")
        print(f"all aggregates vs the baseline's one count: {base_wall / sql_wall:.1f}x faster")
        db.dispose()
        return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
