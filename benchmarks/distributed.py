"""Crawling on many hosts, measured (issue 14): three parts, each in one run.

  cpu      — a CPU-bound set (the article-extraction corpus served on loopback, no delay):
             one worker pinned to one core (``taskset``) vs two workers each pinned to its
             own core. Reported: pages stored per second from the first article request to
             the last job's end, and the ratio.
  polite   — a politeness-bound set: 40 hosts (127.0.1.1–40), 0.5 s delay each, 12 articles
             each, with 1, 2 and 4 workers. Reported: requests per second against the limit
             (40 hosts × 1/0.5 s), the smallest gap between two requests to one host (must
             not be under 0.5 s) and the most requests in flight on one host.
  frontier — the frontier's per-URL overhead on PostgreSQL with 1,000,000 known URLs: claim
             (in batches of 50, as the spider does per listing page), then admit + complete
             (the fenced store's part), per URL.

    python benchmarks/distributed.py                  # all three
    python benchmarks/distributed.py --only frontier

Needs PostgreSQL (BRWATCH_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test:
a database of its own is made and dropped) and redis-server on the PATH (a private one is
started). Run from the repository root.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from brwatch.cluster import frontier, jobs  # noqa: E402
from brwatch.storage import Database  # noqa: E402
from tests.cluster_harness import (  # noqa: E402
    Cluster,
    LoggedSite,
    RedisServer,
    article_html,
    wait_until,
)

PG_ADMIN_URL = os.environ.get(
    "BRWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "html"


def fresh_database() -> tuple[str, str]:
    name = f"brwatch_bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Bench:
    """A fresh database, a private Redis and a cluster of workers for one measurement."""

    def __enter__(self) -> Cluster:
        self.workdir = Path(tempfile.mkdtemp(prefix="brwatch-bench-"))
        self.name, url = fresh_database()
        self.redis = RedisServer(self.workdir)
        self.cluster = Cluster(self.workdir, url, self.redis)
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        self.cluster.close()
        self.redis.stop()
        drop_database(self.name)
        shutil.rmtree(self.workdir, ignore_errors=True)


def pinned(core: int | None) -> list[str]:
    return ["taskset", "-c", str(core)] if core is not None else []


def start_worker(cluster: Cluster, worker_id: str, core: int | None, *extra: str) -> None:
    member = cluster.worker(worker_id, *extra)
    if core is not None:  # pin the worker and, through inheritance, its page workers
        os.sched_setaffinity(member.pid, {core})


# -- cpu -----------------------------------------------------------------------------------


def cpu_bound(pages_per_source: int) -> None:
    bodies = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
              for p in sorted(CORPUS.glob("*.html.gz"))]  # fmt: skip
    results = {}
    for workers in (1, 2):
        with Bench() as cluster:
            sites = []
            sources = []
            for n in range(2):
                pages = {f"/news/p{n}-{i}.html": bodies[(n * 97 + i) % len(bodies)]
                         for i in range(pages_per_source)}  # fmt: skip
                listing = (
                    "<html><body>"
                    + "".join(f"<a href='{p}'>x</a>" for p in pages)
                    + "</body></html>"
                )
                site = LoggedSite(f"127.0.2.{n + 1}", {"/": listing, **pages})
                sites.append(site)
                sources.append({"name": f"cpu{n}", "start_urls": [site.url("/")],
                                "allow": [f"^{site.url('/news/')}"]})  # fmt: skip
            cluster.write_sources(*sources)
            for w in range(workers):
                start_worker(cluster, f"w{w}", w, "--set", "DOWNLOAD_DELAY=0",
                             "--set", "BRWATCH_HOST_CONCURRENCY=16")  # fmt: skip
            # Both workers are up (page workers started) before the clock runs.
            wait_until(lambda n=workers: _live_workers(cluster) == n, 180, "the workers to join")
            cluster.enqueue("cpu0", "cpu1")
            cluster.wait_jobs_done(900)
            ended = time.monotonic()
            hits = [h for s in sites for h in s.hits if h.path.startswith("/news/")]
            first = min(h.at for h in hits)
            rate = len(hits) / (ended - first)
            results[workers] = rate
            print(f"cpu: {workers} worker(s), pinned: {len(hits)} pages in "
                  f"{ended - first:.1f}s = {rate:.1f} pages/s")  # fmt: skip
            for site in sites:
                site.stop()
    print(f"cpu: 2 workers / 1 worker = {results[2] / results[1]:.2f}x (target >= 1.8x)")


def _live_workers(cluster: Cluster) -> int:
    from brwatch.cluster.gates import live_worker_count

    with cluster.db.session() as session:
        return live_worker_count(session, 45)


# -- polite --------------------------------------------------------------------------------


def politeness_bound(hosts: int, articles: int, delay: float, counts: list[int]) -> None:
    for workers in counts:
        with Bench() as cluster:
            sites = []
            for n in range(hosts):
                pages = {f"/news/h{n}-{i}.html": article_html(f"host {n} story {i}")
                         for i in range(articles)}  # fmt: skip
                listing = (
                    "<html><body>"
                    + "".join(f"<a href='{p}'>x</a>" for p in pages)
                    + "</body></html>"
                )
                sites.append(LoggedSite(f"127.0.1.{n + 1}", {"/": listing, **pages}))
            cluster.write_sources(*[
                {"name": f"h{n}", "start_urls": [site.url("/")], "delay": delay}
                for n, site in enumerate(sites)
            ])  # fmt: skip
            for w in range(workers):
                start_worker(cluster, f"w{w}", None, "--jobs", str(hosts))
            wait_until(lambda n=workers: _live_workers(cluster) == n, 180, "the workers to join")
            cluster.enqueue(*[f"h{n}" for n in range(hosts)])
            cluster.wait_jobs_done(900)
            hits = [h for s in sites for h in s.hits]
            first, last = min(h.at for h in hits), max(h.at for h in hits)
            per_host_gaps = [
                later.at - earlier.at
                for site in sites
                for earlier, later in itertools.pairwise(sorted(site.hits, key=lambda h: h.at))
            ]
            # The busiest second: requests started in any one-second window, against the
            # limit of hosts / delay.
            starts = sorted(h.at for h in hits)
            busiest = max(
                sum(1 for t in starts[i:] if t < start + 1.0) for i, start in enumerate(starts)
            )
            median_host_rate = statistics.median(
                (len(s.hits) - 1) / (max(h.at for h in s.hits) - min(h.at for h in s.hits))
                for s in sites
                if len(s.hits) > 1
            )
            print(
                f"polite: {workers} worker(s): {len(hits)} requests in {last - first:.1f}s = "
                f"{len(hits) / (last - first):.1f} req/s (limit {hosts / delay:.0f}); busiest "
                f"second {busiest}; per host median {median_host_rate:.2f} req/s (limit "
                f"{1 / delay:.2f}); smallest gap on a host {min(per_host_gaps):.3f}s; most in "
                f"flight on a host {max(h.in_flight for h in hits)}"
            )
            for site in sites:
                ordered = sorted(site.hits, key=lambda h: h.at)
                for earlier, later in itertools.pairwise(ordered):
                    gap = later.at - earlier.at
                    if gap < delay:
                        print(f"  too close on {site.host}: {earlier.path} ({earlier.client}) "
                              f"then {later.path} ({later.client}) {gap:.3f}s")  # fmt: skip
                site.stop()


# -- frontier ------------------------------------------------------------------------------


def frontier_overhead(known: int, batches: int, batch: int) -> None:
    name, url = fresh_database()
    try:
        db = Database(url)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO frontier_urls (url_key, source, state, token, attempts, done_at) "
                    "SELECT 'https://known.example/' || g || '.html', 'bench', 'done', 1, 1, "
                    "now() FROM generate_series(1, :n) g"
                ),
                {"n": known},
            )
            connection.execute(text("ANALYZE frontier_urls"))
        with db.session() as session:
            jobs.enqueue(session, "bench", "bench")
        claim_s = store_s = 0.0
        claimed_total = 0
        for b in range(batches):
            # Half new URLs, half known ones (a listing shows both).
            keys = [f"https://new.example/{b}-{i}.html" for i in range(batch // 2)] + [
                f"https://known.example/{b * batch + i + 1}.html" for i in range(batch // 2)
            ]
            started = time.perf_counter()
            with db.session() as session:
                claims = frontier.claim(session, keys, "bench", "w1", lease=60, freshness=3600)
            claim_s += time.perf_counter() - started
            claimed_total += len(claims)
            started = time.perf_counter()
            with db.session() as session:
                tokens = {key: claim.token for key, claim in claims.items()}
                admitted = frontier.admit(session, "w1", tokens)
                frontier.complete(session, "w1", {k: tokens[k] for k in admitted})
            store_s += time.perf_counter() - started
        urls = batches * batch
        print(
            f"frontier: {known:,} known URLs; claim {claim_s / urls * 1000:.3f} ms per URL "
            f"looked at ({urls} in batches of {batch}, {claimed_total} new ones claimed); "
            f"admit + complete {store_s / max(claimed_total, 1) * 1000:.3f} ms per stored URL; "
            f"together {(claim_s + store_s) / max(claimed_total, 1) * 1000:.3f} ms per fetched "
            f"URL (target < 2 ms)"
        )
        db.dispose()
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("cpu", "polite", "frontier"))
    parser.add_argument("--cpu-pages", type=int, default=150, help="pages per source (2 sources)")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--articles", type=int, default=12)
    parser.add_argument("--known", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, action="append", help="polite: worker counts")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    if args.only in (None, "frontier"):
        frontier_overhead(args.known, batches=100, batch=50)
    if args.only in (None, "polite"):
        politeness_bound(args.hosts, args.articles, 0.5, args.workers or [1, 2, 4])
    if args.only in (None, "cpu"):
        cpu_bound(args.cpu_pages)


if __name__ == "__main__":
    main()
