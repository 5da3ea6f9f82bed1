"""Crawl throughput: bare Scrapy vs Scrapy + trafilatura vs `brwatch crawl`, in one run.

The 181 pages of the article-extraction benchmark are served under many URLs by a small
static server (its own process) on loopback, listed in one sitemap. Each variant crawls all
of them in a fresh process:

  (a) bare   — Scrapy SitemapSpider, callback does nothing: the fetch ceiling
  (b) naive  — the same spider calling ``trafilatura.extract`` in the callback
  (c) brwatch — ``brwatch crawl``: extraction, relevance, rights verdict, storing in SQLite

Reported: pages/s over the whole process (start-up included) and over the crawl itself, and
the peak resident memory of the whole process tree (crawler + workers).

    python benchmarks/crawl.py                 # 3000 URLs, all three variants
    python benchmarks/crawl.py --pages 10000 --only brwatch   # the memory check
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "html"
# The same fetch settings for every variant, so only the per-page work differs.
FETCH_SETTINGS = {
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": "False",
    "REMOTE_CONTROL_ENABLED": "False",
}


def corpus() -> list[bytes]:
    return [gzip.decompress(path.read_bytes()) for path in sorted(CORPUS.glob("*.html.gz"))]


# -- the static server ---------------------------------------------------------------------


def serve(port_file: str, pages: int, etags: bool = False) -> None:
    """Serve /sitemap.xml (``pages`` URLs, or N with ``?n=N``) and /p/<n> (corpus page n mod
    its size), keep-alive. With ``etags``, /p/<n> carries ETag "v<n>" and answers a matching
    If-None-Match with 304 (benchmarks/recrawl.py)."""
    bodies = corpus()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                extra = b""
                if path.startswith("/p/"):
                    n = int(path[3:])
                    if etags:
                        etag = f'"v{n}"'.encode()
                        extra = b"ETag: " + etag + b"\r\n"
                        if b"\r\nIf-None-Match: " + etag + b"\r\n" in head:
                            writer.write(b"HTTP/1.1 304 Not Modified\r\n" + extra
                                         + b"Content-Length: 0\r\n\r\n")  # fmt: skip
                            await writer.drain()
                            continue
                    body, ctype = bodies[n % len(bodies)], b"text/html; charset=utf-8"
                    status = b"200 OK"
                elif path.startswith("/sitemap.xml"):
                    count = int(path.partition("n=")[2] or pages)
                    host = head.split(b"\r\nHost: ", 1)[1].split(b"\r\n", 1)[0].decode()
                    urls = "".join(
                        f"<url><loc>http://{host}/p/{n}</loc></url>" for n in range(count)
                    )
                    body = (
                        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"{urls}</urlset>"
                    ).encode()
                    ctype, status = b"application/xml", b"200 OK"
                else:
                    body, ctype, status = b"not found", b"text/plain", b"404 Not Found"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\n" + extra
                    + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- variants (a) and (b): the spider a user would write -----------------------------------


def scrapy_variant(sitemap: str, extract: bool) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiders import SitemapSpider

    class Naive(SitemapSpider):
        name = "naive"
        sitemap_urls = (sitemap,)

        def parse(self, response):  # type: ignore[no-untyped-def]
            if extract:
                import trafilatura

                yield {"url": response.url, "text": trafilatura.extract(response.text)}

    process = CrawlerProcess({**FETCH_SETTINGS, "ROBOTSTXT_OBEY": "False"})
    crawler = process.create_crawler(Naive)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"pages": stats.get("response_received_count", 0) - 1,
                      "crawl_s": stats["elapsed_time_seconds"]}))  # fmt: skip


# -- measuring -----------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Reading smaps_rollup walks each process's page tables: sampled every 0.1 s it cost the
# measuring process ~20% of a core, taken from the two cores (c) needs and not from (b),
# which uses one. Memory grows smoothly over a crawl, so once a second finds the peak.
_SAMPLE_S = 1.0


# What each measured process is (for the CPU split), by pid.
_KINDS: dict[int, str] = {}


def _kind(cmdline: bytes) -> str:
    if b"-m\0brwatch_crawler.run" in cmdline:
        return "crawl process"
    if b"forkserver" in cmdline:
        return "fork server + workers"
    if b"-m\0brwatch.cli" in cmdline:
        return "brwatch crawl (CLI)"
    return "other"


def tree_usage(pid: int, cpu: dict[int, float]) -> tuple[int, int]:
    """(RSS, PSS) bytes of ``pid`` and all its descendants; records each one's CPU seconds.

    RSS counts shared libraries once per process; PSS splits shared pages between the
    processes sharing them, so its sum is what the tree really occupies. CPU is read per
    process because the crawl's workers are children of a fork server that nobody waits
    for, so getrusage(RUSAGE_CHILDREN) never sees them.
    """
    rss = pss = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            rss += int(re.search(r"^Rss:\s+(\d+)", rollup, re.M).group(1)) * 1024  # type: ignore[union-attr]
            pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024  # type: ignore[union-attr]
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[current] = (int(stat[11]) + int(stat[12])) / _CLOCK_TICKS  # utime + stime
            if current not in _KINDS:
                _KINDS[current] = _kind(Path(f"/proc/{current}/cmdline").read_bytes())
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, AttributeError):
            continue
    return rss, pss


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time, CPU time of the whole process tree, and its peak resident memory."""
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    stderr_lines: list[str] = []
    drain = threading.Thread(target=lambda: stderr_lines.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    drain.start()
    while process.poll() is None:
        rss, pss = tree_usage(process.pid, cpu)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(_SAMPLE_S)
    wall = time.monotonic() - started
    stdout = process.stdout.read() if process.stdout else ""
    drain.join(5)
    if process.returncode != 0:
        sys.exit(f"{argv[:4]} failed:\n{''.join(stderr_lines[-20:])}")
    return {
        "wall_s": wall,
        # Each process's last sample: misses at most its final _SAMPLE_S of work.
        "cpu_s": sum(cpu.values()),
        "cpu_by_kind": {
            kind: sum(seconds for pid, seconds in cpu.items() if _KINDS.get(pid) == kind)
            for kind in sorted({_KINDS.get(pid, "other") for pid in cpu})
        },
        "rss_mb": peak_rss / 2**20,
        "pss_mb": peak_pss / 2**20,
        "stdout": stdout,
    }  # type: ignore[dict-item]


def run_brwatch(base: str, pages: int, workdir: Path) -> dict[str, float]:
    sources = workdir / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: bench\n    sitemaps: ['{base}/sitemap.xml']\n    allow: ['/p/']\n"
    )
    db = workdir / "bench.db"
    db.unlink(missing_ok=True)
    overrides = {**FETCH_SETTINGS, "BRWATCH_MAX_SITEMAP_URLS": str(pages),
                 "BRWATCH_PROGRESS_INTERVAL": "5"}  # fmt: skip
    argv = [sys.executable, "-m", "brwatch.cli", "--sources", str(sources), "crawl"]
    for name, value in overrides.items():
        argv += ["--set", f"{name}={value}"]
    env = {**os.environ, "BRWATCH_DB_URL": f"sqlite:///{db}"}
    result = measure(argv, env)
    import sqlite3

    with sqlite3.connect(db) as connection:
        stored = connection.execute("select count(*) from articles").fetchone()[0]
        crawl_s = connection.execute(
            "select json_extract(stats, '$.duration_s') from crawl_runs"
        ).fetchone()[0]
    return {**result, "pages": stored, "crawl_s": crawl_s}


def run_scrapy(base: str, extract: bool) -> dict[str, float]:
    argv = [sys.executable, __file__, "--variant", "naive" if extract else "bare",
            "--sitemap", f"{base}/sitemap.xml"]  # fmt: skip
    result = measure(argv, dict(os.environ))
    counts = json.loads(result["stdout"].strip().splitlines()[-1])  # type: ignore[union-attr]
    return {**result, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--only", choices=("bare", "naive", "brwatch"), action="append")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage CPU costs")
    parser.add_argument("--variant", choices=("bare", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--sitemap", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.pages)
    if args.variant:
        return scrapy_variant(args.sitemap, extract=args.variant == "naive")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port_file = workdir / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file),
                                   "--pages", str(args.pages)])  # fmt: skip
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            chosen = args.only or ["bare", "naive", "brwatch"]
            results = {}
            for variant in chosen:
                if variant == "brwatch":
                    results[variant] = run_brwatch(base, args.pages, workdir)
                else:
                    results[variant] = run_scrapy(base, extract=variant == "naive")
                report(variant, results[variant])
        finally:
            server.terminate()
            server.wait()
    if "naive" in results and "brwatch" in results:
        brwatch, naive = results["brwatch"], results["naive"]
        for key, what in (("wall_s", "whole process"), ("crawl_s", "crawl only")):
            ratio = (brwatch["pages"] / brwatch[key]) / (naive["pages"] / naive[key])
            print(f"(c)/(b) pages/s, {what}: {ratio:.2f}x")
    if not args.no_stages:
        stage_costs()


def stage_costs() -> None:
    """CPU per page of each pipeline stage, one process, next to trafilatura.extract alone."""
    import trafilatura

    from brwatch.document import FetchedPage, parse_document
    from brwatch.pipeline.stages import stages

    extract, score, judge = stages()
    bodies = corpus()
    totals = dict.fromkeys(("trafilatura.extract", "parse", "extract", "relevance", "rights"), 0.0)
    # Each stage loads what it needs on first use (the rights engine compiles its rules): once
    # per process, not a cost per page, so one page goes through them all before the clock runs.
    warm = parse_document(FetchedPage("http://bench.example/a", bodies[0]))
    warm_article = extract(warm) if extract else None
    if score and warm_article is not None:
        score(warm_article)
    if judge:
        judge(warm, warm_article)
    trafilatura.extract(bodies[0].decode("utf-8", "replace"))
    for body in bodies:
        clock = [time.process_time()]
        trafilatura.extract(body.decode("utf-8", "replace"))
        clock.append(time.process_time())
        document = parse_document(FetchedPage("http://bench.example/a", body))
        document.tree  # noqa: B018 - parsing is a stage of its own
        clock.append(time.process_time())
        article = extract(document) if extract else None
        clock.append(time.process_time())
        if score and article is not None:
            score(article)
        clock.append(time.process_time())
        if judge:
            judge(document, article)
        clock.append(time.process_time())
        for name, start, end in zip(totals, clock, clock[1:], strict=False):
            totals[name] += end - start
    print("\nCPU ms per page, one process, over the", len(bodies), "corpus pages:")
    for name, seconds in totals.items():
        print(f"  {name:22} {seconds / len(bodies) * 1000:6.1f}")


def report(variant: str, result: dict[str, float]) -> None:
    label = {"bare": "(a) bare Scrapy", "naive": "(b) Scrapy + trafilatura",
             "brwatch": "(c) brwatch crawl"}[variant]  # fmt: skip
    pages = result["pages"]
    print(
        f"{label:26} {pages:6.0f} pages  {pages / result['wall_s']:6.1f} pages/s whole"
        f"  {pages / result['crawl_s']:6.1f} pages/s crawl"
        f"  {result['cpu_s'] / pages * 1000:5.1f} CPU ms/page"
        f"  peak RSS {result['rss_mb']:4.0f} MB, PSS {result['pss_mb']:4.0f} MB",
        flush=True,
    )
    if variant == "brwatch":
        split = ", ".join(
            f"{kind} {seconds / pages * 1000:.1f}"
            for kind, seconds in result["cpu_by_kind"].items()  # type: ignore[union-attr]
        )
        print(f"{'':26} CPU ms/page by process: {split}", flush=True)


if __name__ == "__main__":
    main()
