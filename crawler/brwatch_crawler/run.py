"""Run one crawl pass in this process: ``python -m brwatch_crawler.run [--source NAME]…``.

`brwatch crawl` starts this as a child process (Twisted's reactor cannot be restarted and
brwatch itself never imports Scrapy) and reads the JSON-lines progress it prints on stdout.
Exit status: 0 crawled (even if some sites failed), 2 bad sources file or database.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import Settings

from brwatch.attribution.identities import record_sources
from brwatch.pipeline.refetch import RefetchSchedule
from brwatch.pipeline.stages import StageError, check_stages
from brwatch.sources import Source, SourcesError, load_sources
from brwatch.storage import DatabaseError, open_database
from brwatch.storage.articles import load_seen
from brwatch.storage.frontier import load_frontier
from brwatch_crawler.errors import STOPPED

_PR_SET_PDEATHSIG = 1
# Exit status when storing failed for BRWATCH_STORE_OUTAGE seconds and the crawl stopped.
EXIT_STORAGE_DOWN = 3


def build_settings(overrides: Sequence[str] = ()) -> Settings:
    settings = Settings()
    settings.setmodule("brwatch_crawler.settings", priority="project")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep:
            raise ValueError(f"--set needs NAME=VALUE, got {override!r}")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def entry_hosts(sources: Sequence[Source]) -> list[str]:
    """The hosts of the sources' entry points: the operator chose them, so the address policy
    lets the crawl reach them wherever they are (brwatch_crawler.addresses)."""
    return sorted(
        {urlsplit(url).hostname or "" for s in sources for _, url in s.entry_points} - {""}
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m brwatch_crawler.run", description=__doc__)
    parser.add_argument("--sources", help="sources file (default: $BRWATCH_SOURCES or bundled)")
    parser.add_argument("--source", action="append", default=[], help="only this source")
    parser.add_argument("--db", help="database URL (default: $BRWATCH_DB_URL)")
    parser.add_argument("--run-ids", default="{}", help='JSON {"source": crawl_run_id}')
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--progress", action="store_true", help="JSON-lines progress on stdout")
    return parser.parse_args(argv)


def _stop_with_parent() -> None:
    """Ask Linux for SIGTERM when `brwatch crawl` dies, however it dies (SIGKILL, the OOM
    killer): the handler below then finishes and stores the pages in flight and leaves,
    instead of crawling on headless. Elsewhere (no prctl) the parent's pipe closing is all
    there is."""
    parent = int(os.environ.get("BRWATCH_PARENT_PID") or os.getppid())
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        sources = load_sources(args.sources)
    except SourcesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    known = {source.name for source in sources}
    unknown = [name for name in args.source if name not in known]
    if unknown:
        print(f"error: no source named {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.source:
        sources = [source for source in sources if source.name in args.source]
    try:
        check_stages()
    except StageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        db = open_database(args.db)
        with db.session() as session:
            seen = load_seen(session)
            frontier = load_frontier(session, [source.name for source in sources])
            # Each source is a publisher: its title and hosts, as its entry says now.
            record_sources(session, sources)
        db.dispose()
        settings = build_settings(args.set)
        RefetchSchedule.parse(settings.get("BRWATCH_REFETCH_AFTER"))  # refused before a fetch
    except (DatabaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings.set("BRWATCH_DB_URL", db.url, priority="cmdline")
    settings.set("BRWATCH_RUN_IDS", json.loads(args.run_ids), priority="cmdline")
    settings.set("BRWATCH_PROGRESS", args.progress, priority="cmdline")
    settings.set("BRWATCH_ENTRY_HOSTS", entry_hosts(sources), priority="cmdline")
    # Imported late: the spider module pulls in the whole pipeline.
    from brwatch_crawler.spiders.news import NewsSpider

    process = CrawlerProcess(settings)
    process.crawl(NewsSpider, sources=sources, seen=seen, frontier=frontier)
    _stop_gracefully_on_signals(process)
    _stop_with_parent()
    process.start(install_signal_handlers=False)
    from brwatch_crawler import pipelines

    if pipelines.storage_failed:
        print("error: storage stayed down; the crawl stopped", file=sys.stderr)
        return EXIT_STORAGE_DOWN
    return 0


def _stop_now(process: CrawlerProcess) -> None:
    """Drop the requests waiting in the downloader, then close: pages in transfer finish.

    Scrapy's graceful stop waits for every request the engine already moved to the
    downloader — up to CONCURRENT_REQUESTS of them, each behind its host's delay — which can
    take minutes. Those not yet on the wire are dropped; the next run fetches them.
    """
    for crawler in process.crawlers:
        drop_waiting(crawler)
    process.stop()


def drop_waiting(crawler: Crawler) -> None:
    """Fail the requests waiting in the crawler's downloader slots or at a shared politeness
    gate (not yet on the wire)."""
    gates = getattr(crawler, "brwatch_gates", None)
    if gates is not None:
        gates.stopping = True
    downloader = crawler.engine.downloader if crawler.engine else None
    for slot in downloader.slots.values() if downloader else ():
        while slot.queue:
            _request, waiting = slot.queue.popleft()
            waiting.errback(IgnoreRequest(STOPPED))


def _give_up(grace: float) -> None:
    from brwatch_crawler.pipelines import kill_workers

    print(f"error: the crawl did not stop within {grace:g}s; leaving", file=sys.stderr)
    kill_workers()
    os._exit(1)


def _stop_gracefully_on_signals(process: CrawlerProcess) -> None:
    """SIGINT/SIGTERM: finish in-flight pages, store them, close. Repeats are ignored.

    Scrapy would force an unclean stop on a second SIGINT, but the terminal sends Ctrl-C to
    both `brwatch crawl` and this process, and `brwatch crawl` forwards it once more; an
    impatient user's second Ctrl-C makes `brwatch crawl` kill this process instead.
    """
    from twisted.internet import reactor

    stopping = False

    grace = process.settings.getfloat("BRWATCH_STOP_GRACE")

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            reactor.callFromThread(_stop_now, process)
            # If storing hangs (a dead database, a wedged worker), leave anyway; a timer
            # thread fires even when the reactor is stuck.
            deadline = threading.Timer(grace, _give_up, args=(grace,))
            deadline.daemon = True
            deadline.start()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    sys.exit(main())
