"""Re-crawl cost: CPU per 304 and per skipped URL of `brwatch crawl`, against bare Scrapy's
CPU per full page fetch, in one run (issue 17, item 3).

The corpus pages (benchmarks/crawl.py's) are served under ``N`` URLs listed in one sitemap by
a small static server (its own process) that sends an ETag and answers ``If-None-Match`` with
304. Measured, each in a fresh process tree:

  (a) bare    — Scrapy's SitemapSpider fetching every page in full, callback doing nothing
  (b) 304     — `brwatch crawl` again over a database that stored every page: each request
                is conditional and answered 304
  (c) skipped — the same with the stored validators removed and the pages fetched just now,
                so none is due again (BRWATCH_REFETCH_AFTER): every URL is skipped unfetched

Each variant also runs over a one-URL sitemap; the difference (CPU(N) − CPU(1)) / (N − 1) is
the cost per page without the start-up (imports, database, rules). Also reported: whether a
fork server or worker ran during (b) and (c) (it should not: workers start only for a page
that needs processing) and the peak PSS of the tree.

    python benchmarks/recrawl.py                # 3000 URLs
    python benchmarks/recrawl.py --pages 1000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import FETCH_SETTINGS, measure, serve


def brwatch(sitemap: str, db: Path, workdir: Path, pages: int) -> dict:
    sources = workdir / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: bench\n    sitemaps: ['{sitemap}']\n    allow: ['/p/\\d+$']\n"
    )
    overrides = {**FETCH_SETTINGS, "BRWATCH_MAX_SITEMAP_URLS": str(max(pages, 1)),
                 "BRWATCH_PROGRESS_INTERVAL": "5"}  # fmt: skip
    argv = [sys.executable, "-m", "brwatch.cli", "--sources", str(sources), "crawl"]
    for name, value in overrides.items():
        argv += ["--set", f"{name}={value}"]
    return measure(argv, {**os.environ, "BRWATCH_DB_URL": f"sqlite:///{db}"})


def stats(db: Path) -> dict:
    import json

    with sqlite3.connect(db) as connection:
        row = connection.execute("select stats from crawl_runs order by id desc").fetchone()
    return json.loads(row[0])


def bare(sitemap: str) -> dict:
    crawl_py = str(Path(__file__).resolve().parent / "crawl.py")
    return measure([sys.executable, crawl_py, "--variant", "bare", "--sitemap", sitemap],
                   dict(os.environ))  # fmt: skip


def without_validators(source: Path, target: Path) -> None:
    """A copy of the database whose pages were stored without ETag, fetched just now."""
    shutil.copy(source, target)
    with sqlite3.connect(target) as connection:
        connection.execute("update seen_urls set etag = null, last_modified = null")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)  # fmt: skip
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, 1, etags=True)
    n = args.pages
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port_file = workdir / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            results: dict[str, dict[int, dict]] = {"bare": {}, "304": {}, "skipped": {}}
            for size in (n, 1):
                sitemap = f"{base}/sitemap.xml?n={size}"
                results["bare"][size] = bare(sitemap)
                stored = workdir / f"stored-{size}.db"
                first = brwatch(sitemap, stored, workdir, size)  # stores every page
                if size == n:
                    print(f"first crawl: {n} pages, {first['cpu_s'] / n * 1000:.1f} CPU ms/page "
                          f"(stats {stats(stored)})", flush=True)  # fmt: skip
                snapshot = workdir / f"304-{size}.db"
                shutil.copy(stored, snapshot)
                results["304"][size] = brwatch(sitemap, snapshot, workdir, size)
                results["304"][size]["stats"] = stats(snapshot)
                skipped = workdir / f"skipped-{size}.db"
                without_validators(stored, skipped)
                results["skipped"][size] = brwatch(sitemap, skipped, workdir, size)
                results["skipped"][size]["stats"] = stats(skipped)
        finally:
            server.terminate()
            server.wait()
    report(results, n)


def report(results: dict[str, dict[int, dict]], n: int) -> None:
    labels = {"bare": "(a) bare Scrapy, full fetch", "304": "(b) brwatch, every page 304",
              "skipped": "(c) brwatch, every URL skipped"}  # fmt: skip
    marginal = {}
    for variant, by_size in results.items():
        big, one = by_size[n], by_size[1]
        marginal[variant] = (big["cpu_s"] - one["cpu_s"]) / (n - 1) * 1000
        workers = "ran" if "fork server + workers" in big["cpu_by_kind"] else "never started"
        split = ", ".join(f"{kind} {seconds:.2f}s" for kind, seconds in big["cpu_by_kind"].items())
        print(
            f"{labels[variant]:32} {big['cpu_s'] / n * 1000:5.2f} CPU ms/URL whole tree, "
            f"{marginal[variant]:5.2f} marginal (start-up {one['cpu_s']:.2f} s); "
            f"PSS {big['pss_mb']:4.0f} MB; workers {workers}"
            f"\n{'':32} CPU by process: {split}",
            flush=True,
        )
        if "stats" in big:
            counts = {
                k: big["stats"].get(k) for k in ("not_modified", "skipped_seen", "new", "unchanged")
            }
            print(f"{'':32} {counts}", flush=True)
    print(
        f"marginal CPU per 304 / bare fetch: {marginal['304'] / marginal['bare']:.2f}x; "
        f"per skipped URL / bare fetch: {marginal['skipped'] / marginal['bare']:.2f}x"
    )


if __name__ == "__main__":
    main()
