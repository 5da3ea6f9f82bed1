"""Hands each fetched page to brwatch: processed in worker processes, stored in batches.

Parsing, extraction and the rights engine are CPU-bound; run on the reactor thread they would
stall fetching and use one core. So pages go to a process pool (awaited, never blocking the
reactor) and processed pages are written by one writer thread, a batch per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.exc import DBAPIError

from brwatch.cluster.leases import UrlLeases
from brwatch.document import FetchedPage
from brwatch.extract.hub import HubCheck
from brwatch.pipeline import ProcessedPage, Visit, process_page, remember_visits, store_batch
from brwatch.pipeline.stages import STAGE_MODULES, stages
from brwatch.provenance.links import link_missing
from brwatch.storage import open_database
from brwatch.storage.frontier import save_frontier

log = logging.getLogger(__name__)
# Imported once by the fork server, before any worker is forked from it. A worker re-runs
# the main module (brwatch_crawler.run) as "__mp_main__": with its imports (Scrapy) preloaded, that
# costs a dictionary lookup per import instead of importing Scrapy in every worker.
# datasketch too: workers fingerprint every article with it, and it takes a second to import.
_PRELOAD = (
    "brwatch_crawler.forkserver_init",  # first: ignore SIGTERM before anything else runs there
    "brwatch_crawler.run",
    "brwatch.pipeline.process",
    "datasketch",
    *STAGE_MODULES,
    "brwatch_crawler.forkserver_load",  # last: loads the stages' data for every worker
)


# The crawl process gives up on a page after this many page timeouts (plus 30 s): the
# worker's alarm should long have stopped it; past this, the worker is stuck in C code.
_SAFETY_FACTOR = 3
# Set when storing failed for BRWATCH_STORE_OUTAGE seconds and the crawl stopped for it
# (brwatch_crawler.run exits with EXIT_STORAGE_DOWN; Scrapy forgets a crawler, stats and all,
# once done).
storage_failed = False
# Pauses between attempts to store while the database is down (doubling up to the maximum).
_OUTAGE_FIRST_PAUSE = 0.5
_OUTAGE_MAX_PAUSE = 10.0
# Articles left without signatures by an earlier run that one crawl fingerprints at its end.
_MISSING_PER_RUN = 2000
# The page workers' pool shared by the crawls of a `brwatch worker` process.
_shared_pool: ProcessPoolExecutor | None = None
# How often a worker checks that the crawl process it serves is still there.
_ORPHAN_CHECK_SECONDS = 1.0


def _start_worker(crawl_pid: int) -> None:
    """Import every stage before the first page arrives; leave stopping to the crawl process.

    Workers share the caller's process group: without this, Ctrl-C (or the scheduler's
    SIGTERM) would kill them mid-page while the crawl process is still finishing and storing
    the pages in flight. They exit when the crawl process closes the pool or dies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    threading.Thread(target=_exit_when_gone, args=(crawl_pid,), daemon=True).start()
    stages()


class PageTimeout(Exception):
    """A page's processing went over BRWATCH_PAGE_TIMEOUT (raised by the worker's alarm)."""


def _alarm(_signum: int, _frame: object) -> None:
    raise PageTimeout


def process_within(
    page: FetchedPage, seconds: float, hub_check: HubCheck | None = None
) -> ProcessedPage:
    """process_page in a worker, stopped by an alarm after ``seconds`` of its own processing
    (time waiting in the pool's queue does not count). A stage stuck in C code that the alarm
    cannot interrupt is left to the crawl process's safety limit."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return process_page(page, hub_check)
    except PageTimeout:
        return _timed_out(page, seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timed_out(page: FetchedPage, seconds: float) -> ProcessedPage:
    return ProcessedPage(
        url=page.url,
        url_key=page.url,
        source=page.source or "unknown",
        status=page.status,
        fetched_at=page.fetched_at,
        headers={},
        sha256="",
        html_gz=b"",
        canonical_url=page.url,
        error=f"processing took over {seconds:g}s",
    )


def _exit_when_gone(crawl_pid: int) -> None:
    """Leave once the crawl process has died (SIGKILL, a forced exit): a worker is the fork
    server's child, not the crawl's, and would otherwise wait for work forever."""
    while True:
        time.sleep(_ORPHAN_CHECK_SECONDS)
        if not _running(crawl_pid):
            os._exit(0)


def _running(pid: int) -> bool:
    """Whether a process runs: a killed crawl stays a zombie until `brwatch crawl` reaps it,
    and a zombie still answers signal 0, so /proc's state is read where there is one."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
        except OSError:
            return False
    # No /proc: signal 0 is the best test there is.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's: a reused pid, rare
    return True


def kill_workers() -> None:
    """Kill every worker and the fork server: the crawl is leaving without a clean stop, and
    they would otherwise outlive it holding its output pipes open."""
    _kill_children()
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _kill_children() -> None:
    """Kill every worker this process started (multiprocessing tracks them, although the fork
    server is their parent); kill, not terminate: workers ignore SIGTERM (see _start_worker)."""
    for worker in multiprocessing.active_children():
        worker.kill()


class BrwatchPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_url: str | None = settings.get("BRWATCH_DB_URL")
        self.run_ids: dict[str, int] = {
            name: int(run_id) for name, run_id in settings.getdict("BRWATCH_RUN_IDS").items()
        }
        self.workers = max(1, settings.getint("BRWATCH_WORKERS"))
        self.batch_size = max(1, settings.getint("BRWATCH_STORE_BATCH"))
        self.interval = settings.getfloat("BRWATCH_STORE_INTERVAL")
        self.page_timeout = settings.getfloat("BRWATCH_PAGE_TIMEOUT")
        self.pages: list[ProcessedPage] = []
        self.visits: list[Visit] = []
        self.writes: set[asyncio.Task[None]] = set()
        self.closing = False
        self.outage_limit = settings.getfloat("BRWATCH_STORE_OUTAGE")
        self.storage_paused = False
        self.storage_down = False
        self.stopping: asyncio.Future[None] | None = None
        self.workers_started: asyncio.Future[None] | None = None
        self.fence: UrlLeases | None = None
        self.shared_pool = False  # a `brwatch worker`'s crawls share one pool (open_spider)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrwatchPipeline:
        return cls(crawler)

    def count(self, source: str | None, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"brwatch/{source}/{what}", n)

    # -- lifecycle -----------------------------------------------------------------------

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        # A `brwatch worker` job: its run and its URL leases come with the spider.
        self.run_ids = getattr(spider, "run_ids", None) or self.run_ids
        self.fence = getattr(spider, "leases", None)
        self.db = open_database(self.db_url, migrate=self.fence is None)
        # A `brwatch worker` runs several crawls at once: they share one pool of page
        # workers (BRWATCH_WORKERS processes for the whole worker), kept between jobs.
        self.shared_pool = self.fence is not None
        self.pool = self._shared() if self.shared_pool else self._new_pool()
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="brwatch-store")
        self.ticker = asyncio.ensure_future(self._flush_periodically())

    async def _workers_ready(self) -> None:
        """Start the workers when the first page needs processing, not before: a re-crawl
        whose pages answer 304, are unchanged or are skipped never starts the fork server
        nor imports a stage (hundreds of MB and seconds of CPU for nothing). Started off the
        reactor thread: the fork server takes seconds to import every stage, and a reactor
        blocked that long lets slow responses beat their download timeouts."""
        if self.workers_started is None:
            loop = asyncio.get_running_loop()
            self.workers_started = loop.run_in_executor(None, self._start_workers)
        try:
            await self.workers_started
        except Exception as exc:  # the page's own submit meets it again, and handles it
            log.warning("cannot start the workers ahead: %s: %s", type(exc).__name__, exc)

    def _shared(self) -> ProcessPoolExecutor:
        global _shared_pool
        if _shared_pool is None:
            _shared_pool = self._new_pool()
        return _shared_pool

    def _start_workers(self) -> None:
        log.info("a page needs processing: starting %d workers", self.workers)
        # The pool starts a worker per task while none is idle: one task each starts them all.
        for started in [self.pool.submit(int) for _ in range(self.workers)]:
            started.result()

    def _new_pool(self) -> ProcessPoolExecutor:
        # "forkserver": forking this process (reactor, threads) is unsafe, but forking a
        # fresh single-threaded server that has imported the stages once is not. Workers then
        # start in milliseconds, share the imported modules' memory with the server, and do
        # not each re-import Scrapy as "spawn" would (it re-runs the main module).
        # No max_tasks_per_child: on Python 3.11 the pool stops handing out work once its
        # first workers retire. Worker memory levels off without it.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(_PRELOAD))
        return ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def _replace_pool(self) -> None:
        """A new pool; the old one's workers are stopped (a stuck one would never return)."""
        global _shared_pool
        old, self.pool = self.pool, self._new_pool()
        if self.shared_pool:
            _shared_pool = self.pool
        old.shutdown(wait=False, cancel_futures=True)
        # The new pool starts its workers on first use, so the children alive now are the old
        # pool's (ProcessPoolExecutor has no public way to stop a busy worker).
        _kill_children()

    async def close_spider(self) -> None:
        self.closing = True
        self.ticker.cancel()
        self.flush()
        while self.writes:
            await asyncio.gather(*list(self.writes))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.writer, self._save_frontier)
        await loop.run_in_executor(self.writer, self._link_missing)
        if not self.shared_pool:  # a worker's pool outlives its jobs
            await loop.run_in_executor(None, self.pool.shutdown)
        self.writer.shutdown()
        self.db.dispose()

    async def _flush_periodically(self) -> None:
        while not self.closing:
            await asyncio.sleep(self.interval)
            self.flush()

    # -- items ---------------------------------------------------------------------------

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if "visit" in item:
            visit = item["visit"]
            if self.fence is not None and item.get("lease") is not None:
                self.fence.hold(visit.url_key, visit.url_key, item["lease"])
            self.visits.append(visit)
            return {"visit": visit.url_key}
        page = item["page"]
        processed = await self._processed(page, item.get("hub_check"))
        if processed is None:
            return {"url": page.url, "error": "not processed"}
        if processed.error:
            self.count(processed.source, "errors/parse")
            log.warning("%s: %s skipped: %s", processed.source, processed.url, processed.error)
            return {"url": page.url, "error": processed.error}
        for warning in processed.warnings:
            log.warning("%s: %s: %s", processed.source, processed.url, warning)
        spider = self.crawler.spider
        if processed.hub_links is not None:
            # A listing after all: not an article response, and nothing to store.
            self.count(processed.source, "articles", -1)
            if spider is not None and hasattr(spider, "follow_hub"):
                depth = item.get("listing_depth", 0)
                spider.follow_hub(processed.source, page.url, processed.hub_links, depth)
            return {"url": page.url, "hub": True}
        if spider is not None and hasattr(spider, "queued"):
            # The page's canonical URL counts as fetched: a later link to it is not followed.
            spider.queued.add(processed.canonical_url)
        requested = item.get("requested_key")
        if self.fence is not None and item.get("lease") is not None:
            self.fence.hold(processed.url_key, requested or processed.url_key, item["lease"])
        if requested and requested != processed.url_key:
            # Redirected: remember the requested URL too, so it is not fetched again.
            self.visits.append(Visit(requested, processed.source, 301, processed.fetched_at))
        self.pages.append(processed)
        if len(self.pages) >= self.batch_size:
            self.flush()
        return {"url": processed.url, "canonical_url": processed.canonical_url}

    async def _processed(
        self, page: FetchedPage, hub_check: HubCheck | None = None
    ) -> ProcessedPage | None:
        """The page processed by a worker, or None (counted and logged as an error).

        The worker's own alarm stops a page that takes too long (it comes back with an
        error). A worker that dies (out of memory, killed) or hangs where the alarm cannot
        reach breaks or replaces the pool, which fails the other pages in it through no
        fault of theirs: each page is tried once more in the new pool before it counts as
        an error, so none vanishes without a record.
        """
        await self._workers_ready()
        for attempt in (1, 2):
            if self.shared_pool:  # another crawl of this worker may have replaced it
                self.pool = self._shared()
            pool = self.pool
            future = pool.submit(process_within, page, self.page_timeout, hub_check)
            try:
                # A safety net far beyond the worker's alarm: it includes the queue's wait.
                return await asyncio.wait_for(
                    asyncio.wrap_future(future), self.page_timeout * _SAFETY_FACTOR + 30
                )
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # the crawl itself is being cancelled
                why = "its worker pool was replaced"
            except BrokenProcessPool as exc:
                why = f"its worker died ({exc or 'killed'})"
            except TimeoutError:
                why = f"a worker hung for over {self.page_timeout * _SAFETY_FACTOR + 30:g}s"
            if pool is self.pool:
                self._replace_pool()
            if attempt == 1 and "hung" not in why:
                log.warning("%s: %s: %s; trying once more", page.source, page.url, why)
                continue
            self.count(page.source, "errors/parse")
            log.error("%s: cannot process %s: %s", page.source, page.url, why)
        return None

    # -- storing -------------------------------------------------------------------------

    def flush(self) -> None:
        if not (self.pages or self.visits):
            return
        pages, visits = self.pages, self.visits
        self.pages, self.visits = [], []
        task = asyncio.ensure_future(self._write(pages, visits))
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)

    async def _write(self, pages: list[ProcessedPage], visits: list[Visit]) -> None:
        try:
            outcomes = await self._store_through_outages(pages, visits)
        except Exception as exc:  # the database refused the batch: counted, logged
            for source, n in Counter(p.source for p in pages).items():
                self.count(source, "errors/store", n)
            log.error("cannot store %d pages: %s: %s", len(pages), type(exc).__name__, exc)
            return
        for (source, outcome), n in outcomes.items():
            self.count(source, outcome, n)
            if outcome in ("new", "changed", "unchanged"):
                self.count(source, "items", n)

    async def _store_through_outages(
        self, pages: list[ProcessedPage], visits: list[Visit]
    ) -> Counter[tuple[str, str]]:
        """Store a batch; while the database is unreachable (an outage, a full disk), fetching
        pauses and the batch is tried again with back-off. If storage stays down for
        BRWATCH_STORE_OUTAGE seconds, the crawl stops (reason "storage_down"): nothing of
        what was not stored is marked seen, so the next run fetches it."""
        loop = asyncio.get_running_loop()
        waited = 0.0
        pause = _OUTAGE_FIRST_PAUSE
        while True:
            try:
                outcomes = await loop.run_in_executor(self.writer, self._store, pages, visits)
            except DBAPIError as exc:
                if self.storage_down or waited >= self.outage_limit:
                    self._give_up_storing(exc)
                    raise
                if not self.storage_paused:
                    self.storage_paused = True
                    self.crawler.engine.pause()
                    log.warning("cannot store (%s); fetching paused, retrying", exc.orig or exc)
                await asyncio.sleep(pause)
                waited += pause
                pause = min(pause * 2, _OUTAGE_MAX_PAUSE)
                continue
            if self.storage_paused:
                self.storage_paused = False
                self.crawler.engine.unpause()
                log.warning("storing again after %.0fs; fetching resumed", waited)
            return outcomes

    def _give_up_storing(self, exc: Exception) -> None:
        if self.storage_down:
            return
        self.storage_down = True
        global storage_failed
        storage_failed = True
        log.error(
            "storage has been down for %.0fs (%s): stopping the crawl; what was not stored is "
            "fetched again by the next run",
            self.outage_limit,
            getattr(exc, "orig", None) or exc,
        )
        engine = self.crawler.engine
        if engine is not None and self.crawler.spider is not None:
            engine.unpause()
            self.stopping = asyncio.ensure_future(engine.close_spider_async(reason="storage_down"))

    def _save_frontier(self) -> None:
        """What the caps left for the next run (spiders.news, brwatch.storage.frontier)."""
        updates = getattr(self.crawler.spider, "frontier_updates", None)
        if not updates or self.storage_down:
            return
        try:
            with self.db.session() as session:
                save_frontier(session, updates.values())
        except DBAPIError as exc:  # the next run re-discovers what it can from the sitemaps
            log.error("cannot remember what the caps left out: %s", exc.orig or exc)

    def _link_missing(self) -> None:
        """Articles an earlier run stored without signatures (killed between storing and
        linking) are fingerprinted and linked now."""
        try:
            linked = link_missing(self.db, limit=_MISSING_PER_RUN)
        except Exception as exc:  # the crawl's own pages are stored; this waits for next time
            log.error("cannot link articles without signatures: %s: %s", type(exc).__name__, exc)
            return
        if linked:
            log.info("%d articles without a signature fingerprinted and linked", linked)

    def _store(self, pages: list[ProcessedPage], visits: list[Visit]) -> Counter[tuple[str, str]]:
        outcomes: Counter[tuple[str, str]] = Counter()
        by_source: dict[str, list[ProcessedPage]] = {}
        for page in pages:
            by_source.setdefault(page.source, []).append(page)
        for source, batch in by_source.items():
            for outcome, n in store_batch(self.db, batch, self.run_ids, self.fence).items():
                outcomes[(source, outcome)] += n
        if visits:
            remember_visits(self.db, visits, self.fence)
        return outcomes
