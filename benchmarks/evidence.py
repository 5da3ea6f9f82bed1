"""The WARC export at scale: 100,000 stored snapshots, time and peak memory.

    python benchmarks/evidence.py [--snapshots 100000] [--db URL]

Fills a fresh SQLite database (or the given one, which must be empty) with N articles of one
snapshot each (4 KB pages of random text, so compression does not flatter the output), then runs
`brwatch export --warc` in a child process and reports its wall time and peak resident memory
(ru_maxrss of the child), next to a run over a tenth of the snapshots: flat memory means the
export streams.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot

FETCHED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def fill(db: Database, count: int, size: int = 4096) -> None:
    batch = 5000
    for start in range(0, count, batch):
        ids = range(start, min(start + batch, count))
        with db.session() as session:
            session.execute(
                insert(Article),
                [
                    {
                        "canonical_url": f"https://bench.example/{i}",
                        "url": f"https://bench.example/{i}",
                        "source": f"s{i % 30}",
                        "fetched_at": FETCHED,
                        "first_seen_at": FETCHED,
                        "updated_at": FETCHED,
                    }
                    for i in ids
                ],
            )
            rows = []
            for i in ids:
                body = os.urandom(size // 2).hex().encode()
                rows.append(
                    {
                        "article_id": i + 1,
                        "url": f"https://bench.example/{i}",
                        "status": 200,
                        "headers": {"content-type": "text/html"},
                        "html_gz": gzip.compress(body, 1),
                        "sha256": hashlib.sha256(body).hexdigest(),
                        "fetched_at": FETCHED,
                    }
                )
            session.execute(insert(Snapshot), rows)


def export(db_url: str, out: Path) -> tuple[float, int]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [sys.executable, "-m", "brwatch.cli", "--db", db_url, "export", "--warc", str(out)],
        check=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for count in (args.snapshots // 10, args.snapshots):
            db_url = f"sqlite:///{Path(work) / f'{count}.db'}"
            db = Database(db_url)
            fill(db, count)
            db.dispose()
            out = Path(work) / f"{count}.warc.gz"
            seconds, peak_kb = export(db_url, out)
            print(
                f"{count:>7} snapshots: {seconds:6.1f} s, {count / seconds:7.0f} snapshots/s, "
                f"file {out.stat().st_size / 1e6:6.1f} MB, peak RSS {peak_kb / 1024:6.1f} MB "
                "(largest child so far)"
            )


if __name__ == "__main__":
    main()
