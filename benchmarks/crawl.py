"""Crawl cost: bare Scrapy, Scrapy + trafilatura in one and two processes, `brwatch crawl`.

Every real page of ../shared/corpora (1,053 pages in 30 languages, GBK and ISO-8859 pages
among them, served without a charset as many servers do) is served under many URLs by a
small static server (its own process) on loopback and listed in one sitemap. Each variant
crawls all of them in fresh processes, with the same fetch settings:

  (a)  bare     — Scrapy SitemapSpider, callback does nothing: the fetch ceiling
  (b)  naive    — the same spider calling ``trafilatura.extract`` in the callback
  (b2) naive x2 — two such spiders at once, each over half the sitemap: both cores in use,
                  as brwatch's two workers use them
  (c)  brwatch  — ``brwatch crawl``: extraction, dates, relevance, rights verdict,
                  fingerprint, snapshot, storing in SQLite

Reported for each: CPU ms per page of the whole process tree, pages/s over the whole process
(start-up included) and over the crawl itself, peak PSS (and RSS) of the tree; then (c)'s CPU
per page against (b)'s and its pages/s against (b2)'s, and each stage's CPU in one process.

    python benchmarks/crawl.py                   # 3000 URLs over the corpus mix, every variant
    python benchmarks/crawl.py --corpus articles # the 181 mostly English pages of earlier runs
    python benchmarks/crawl.py --pages 10000 --only brwatch --no-stages   # the memory check
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
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
# What --corpus serves: every page of every corpus, or the article-extraction benchmark alone
# (the pages of the runs before 2026-12-08, served as UTF-8).
CORPUS_GLOBS = {"mix": "**/*.html.gz", "articles": "article-extraction-benchmark/html/*.html.gz"}
VARIANTS = ("bare", "naive", "naive2", "brwatch")
LABELS = {"bare": "(a) bare Scrapy", "naive": "(b) Scrapy + trafilatura",
          "naive2": "(b2) the same, 2 processes", "brwatch": "(c) brwatch crawl"}  # fmt: skip
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


def corpus(name: str = "mix") -> list[bytes]:
    paths = sorted(CORPORA.glob(CORPUS_GLOBS[name]))
    if not paths:
        sys.exit(f"no pages under {CORPORA} for --corpus {name}")
    return [gzip.decompress(path.read_bytes()) for path in paths]


# -- the static server ---------------------------------------------------------------------


def serve(port_file: str, pages: int, etags: bool = False, corpus_name: str = "mix") -> None:
    """Serve /sitemap.xml (``pages`` URLs, or N with ``?n=N``; with ``part=i/k`` only those
    whose number is i modulo k) and /p/<n> (corpus page n mod its size), keep-alive. With
    ``etags``, /p/<n> carries ETag "v<n>" and answers a matching If-None-Match with 304
    (benchmarks/recrawl.py)."""
    bodies = corpus(corpus_name)
    # The mix holds GBK and ISO-8859 pages: no charset in the header, each reader detects it.
    page_type = b"text/html; charset=utf-8" if corpus_name == "articles" else b"text/html"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                extra = b""
                if path.startswith("/p/") and path[3:].isdigit():
                    n = int(path[3:])
                    if etags:
                        etag = f'"v{n}"'.encode()
                        extra = b"ETag: " + etag + b"\r\n"
                        if b"\r\nIf-None-Match: " + etag + b"\r\n" in head:
                            writer.write(b"HTTP/1.1 304 Not Modified\r\n" + extra
                                         + b"Content-Length: 0\r\n\r\n")  # fmt: skip
                            await writer.drain()
                            continue
                    body, ctype = bodies[n % len(bodies)], page_type
                    status = b"200 OK"
                elif path.startswith("/sitemap.xml"):
                    query = dict(parse_qsl(urlsplit(path).query))
                    part, _, parts = query.get("part", "0/1").partition("/")
                    host = head.split(b"\r\nHost: ", 1)[1].split(b"\r\n", 1)[0].decode()
                    urls = "".join(
                        f"<url><loc>http://{host}/p/{n}</loc></url>"
                        for n in range(int(part), int(query.get("n", pages)), int(parts))
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


def tree_usage(
    pid: int, cpu: dict[int, float], pss_by_pid: dict[int, int] | None = None
) -> tuple[int, int]:
    """(RSS, PSS) bytes of ``pid`` and all its descendants; records each one's CPU seconds
    (and PSS, in ``pss_by_pid``).

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
            own_pss = int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024  # type: ignore[union-attr]
            pss += own_pss
            if pss_by_pid is not None:
                pss_by_pid[current] = own_pss
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[current] = (int(stat[11]) + int(stat[12])) / _CLOCK_TICKS  # utime + stime
            if current not in _KINDS:
                _KINDS[current] = _kind(Path(f"/proc/{current}/cmdline").read_bytes())
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError, AttributeError):
            continue
    return rss, pss


def _by_kind(by_pid: dict[int, float] | dict[int, int], scale: float = 1.0) -> dict[str, float]:
    """Per-process figures summed by what each process is."""
    totals: dict[str, float] = {}
    for pid, value in by_pid.items():
        kind = _KINDS.get(pid, "other")
        totals[kind] = totals.get(kind, 0.0) + value * scale
    return dict(sorted(totals.items()))


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time, CPU time of the whole process tree, and its peak resident memory."""
    return measure_together([argv], env)


def measure_together(argvs: list[list[str]], env: dict[str, str]) -> dict[str, float]:
    """`measure` for processes started at once: wall time until the last one ends, CPU and
    peak memory of all their trees together; "stdout" is the last line of each, joined."""
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}
    started = time.monotonic()
    processes = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    stderr_lines: list[list[str]] = [[] for _ in processes]
    drains = [
        threading.Thread(target=lines.extend, args=(process.stderr,), daemon=True)
        for process, lines in zip(processes, stderr_lines, strict=True)
    ]
    for drain in drains:
        drain.start()
    peak_by_kind: dict[str, float] = {}
    while any(process.poll() is None for process in processes):
        pss_by_pid: dict[int, int] = {}
        usage = [tree_usage(process.pid, cpu, pss_by_pid) for process in processes]
        peak_rss = max(peak_rss, sum(rss for rss, _ in usage))
        if sum(pss for _, pss in usage) > peak_pss:
            peak_pss = sum(pss for _, pss in usage)
            peak_by_kind = _by_kind(pss_by_pid, scale=2**-20)
        time.sleep(_SAMPLE_S)
    wall = time.monotonic() - started
    stdouts = [process.stdout.read() if process.stdout else "" for process in processes]
    for drain in drains:
        drain.join(5)
    for argv, process, lines in zip(argvs, processes, stderr_lines, strict=True):
        if process.returncode != 0:
            sys.exit(f"{argv[:4]} failed:\n{''.join(lines[-20:])}")
    return {
        "wall_s": wall,
        # Each process's last sample: misses at most its final _SAMPLE_S of work.
        "cpu_s": sum(cpu.values()),
        "cpu_by_kind": _by_kind(cpu),
        "rss_mb": peak_rss / 2**20,
        "pss_mb": peak_pss / 2**20,
        "pss_mb_by_kind": peak_by_kind,
        "stdout": "\n".join(out.strip().rsplit("\n", 1)[-1] for out in stdouts),
    }  # type: ignore[dict-item]


def run_brwatch(base: str, pages: int, workdir: Path) -> dict[str, float]:
    sources = workdir / "sources.yaml"
    sitemap = f"{base}/sitemap.xml"
    sources.write_text(
        f"sources:\n  - name: bench\n    sitemaps: ['{sitemap}']\n    allow: ['/p/\\d+$']\n"
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


def run_scrapy(base: str, extract: bool, processes: int = 1) -> dict[str, float]:
    """The bare or naive spider in ``processes`` processes at once, each over its share of
    the sitemap."""
    spider = [sys.executable, __file__, "--variant", "naive" if extract else "bare"]
    argvs = [
        [*spider, "--sitemap", f"{base}/sitemap.xml?part={part}/{processes}"]
        for part in range(processes)
    ]
    result = measure_together(argvs, dict(os.environ))
    counts = [json.loads(line) for line in str(result["stdout"]).splitlines()]
    return {**result, "pages": sum(count["pages"] for count in counts),
            "crawl_s": max(count["crawl_s"] for count in counts)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--corpus", choices=tuple(CORPUS_GLOBS), default="mix")
    parser.add_argument("--only", choices=VARIANTS, action="append")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage CPU costs")
    parser.add_argument("--variant", choices=("bare", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--sitemap", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.pages, corpus_name=args.corpus)
    if args.variant:
        return scrapy_variant(args.sitemap, extract=args.variant == "naive")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port_file = workdir / "port"
        serving = ["--serve", str(port_file), "--pages", str(args.pages), "--corpus", args.corpus]
        server = subprocess.Popen([sys.executable, __file__, *serving])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            for variant in args.only or VARIANTS:
                if variant == "brwatch":
                    results[variant] = run_brwatch(base, args.pages, workdir)
                else:
                    processes = 2 if variant == "naive2" else 1
                    results[variant] = run_scrapy(base, variant != "bare", processes)
                report(variant, results[variant])
        finally:
            server.terminate()
            server.wait()
    compare(results)
    if not args.no_stages:
        stage_costs(args.corpus)


def compare(results: dict[str, dict[str, float]]) -> None:
    """(c) against the naive spider: CPU per page against (b), pages/s against (b2)."""

    def per_page(variant: str) -> float:
        return results[variant]["cpu_s"] / results[variant]["pages"]

    def rate(variant: str, key: str) -> float:
        return results[variant]["pages"] / results[variant][key]

    if "brwatch" in results and "naive" in results:
        print(f"(c)/(b) CPU per page: {per_page('brwatch') / per_page('naive'):.2f}x")
    for baseline in ("naive", "naive2"):
        if "brwatch" in results and baseline in results:
            for key, what in (("wall_s", "whole process"), ("crawl_s", "crawl only")):
                ratio = rate("brwatch", key) / rate(baseline, key)
                print(f"(c)/{LABELS[baseline][:4].strip()} pages/s, {what}: {ratio:.2f}x")


def stage_costs(corpus_name: str = "mix") -> None:
    """CPU per page of each pipeline stage, one process, next to trafilatura.extract alone."""
    import trafilatura

    from brwatch.document import FetchedPage, parse_document
    from brwatch.pipeline.stages import stages

    extract, score, judge = stages()
    bodies = corpus(corpus_name)
    totals = dict.fromkeys(("trafilatura.extract", "parse", "extract", "relevance", "rights"), 0.0)
    # Each stage loads what it needs on first use (the rights engine compiles its rules): once
    # per process, not a cost per page, so one page goes through them all before the clock runs.
    warm = parse_document(FetchedPage("http://bench.example/a", bodies[0]))
    warm_article = extract(warm) if extract else None
    if score and warm_article is not None:
        score(warm_article)
    if judge:
        judge(warm, warm_article)
    trafilatura.extract(bodies[0])
    for body in bodies:
        clock = [time.process_time()]
        trafilatura.extract(body)  # bytes: it detects the encoding, as Scrapy does
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
    print(f"\nCPU ms per page, one process, {len(bodies)} pages (--corpus {corpus_name}):")
    for name, seconds in totals.items():
        print(f"  {name:22} {seconds / len(bodies) * 1000:6.1f}")


def report(variant: str, result: dict[str, float]) -> None:
    label = LABELS[variant]
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
        split = ", ".join(
            f"{kind} {mb:.0f}"
            for kind, mb in result["pss_mb_by_kind"].items()  # type: ignore[union-attr]
        )
        print(f"{'':26} PSS MB at the peak by process: {split}", flush=True)


if __name__ == "__main__":
    main()
