"""One `brwatch worker`: ``python -m brwatch_crawler.worker --db … --redis … [--worker-id ID]``.

`brwatch worker` checks nothing itself and replaces its process with this one (exec), so a
worker is one process plus the fork-server pool that parses pages on the other cores. It
joins the cluster (brwatch.cluster.node: schema, Redis, unique id), then loops: claim a due
crawl job, crawl that source with Scrapy (article URLs claimed in the shared frontier, pages
stored fenced by their leases), record the run, close the job. SIGTERM/SIGINT drain it: no
new job, requests not yet sent are dropped, pages in transfer are fetched and stored, the job
and the unused URL leases go back to the queue at once. Exit status: 0, or 2 when it cannot join.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor

from brwatch.cluster.node import RunningJob, WorkerNode, WorkerSettings
from brwatch.errors import BrwatchError
from brwatch.pipeline.stages import check_stages
from brwatch.sources import Source, load_sources
from brwatch.storage.database import database_url
from brwatch_crawler.progress import per_source
from brwatch_crawler.run import build_settings, drop_waiting, entry_hosts

log = logging.getLogger("brwatch_crawler.worker")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m brwatch_crawler.worker", description=__doc__)
    parser.add_argument("--sources", help="sources file (default: $BRWATCH_SOURCES or bundled)")
    parser.add_argument("--db", help="database URL (default: $BRWATCH_DB_URL)")
    parser.add_argument("--redis", required=True, help="Redis URL, e.g. redis://host:6379/0")
    parser.add_argument("--worker-id", help="unique name of this worker (default: host:pid)")
    parser.add_argument("--lease", type=float, default=WorkerSettings.lease)
    parser.add_argument("--freshness", type=float, default=WorkerSettings.freshness)
    parser.add_argument("--poll", type=float, default=WorkerSettings.poll)
    parser.add_argument("--jobs", type=int, default=4, help="crawls at once (default: 4)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    return parser.parse_args(argv)


def _cores() -> int:
    """Cores this process may use: `taskset` pins a worker to fewer than the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def share_politeness(settings: Settings, sources: list[Source]) -> None:
    """Politeness through the shared gates (brwatch_crawler.middlewares.SharedPolitenessMiddleware)
    instead of Scrapy's per-process delays, which would wait again after the gate opened."""
    groups: dict[str, str] = {}
    delays: dict[str, float] = {}
    for source in sources:
        for _kind, url in source.entry_points:
            host = urlsplit(url).hostname or ""
            group = source.politeness_group or host
            if source.politeness_group:
                groups[host] = group
            if source.delay:
                delays[group] = max(delays.get(group, 0.0), float(source.delay))
    settings.set("BRWATCH_POLITENESS_GROUPS", groups, priority="cmdline")
    settings.set("BRWATCH_GROUP_DELAYS", delays, priority="cmdline")
    settings.set("BRWATCH_SHARED_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    limit = settings.getint("BRWATCH_HOST_CONCURRENCY")
    for name, value in (
        ("DOWNLOAD_DELAY", 0),
        ("DOWNLOAD_DELAY_JITTER", 0),
        ("AUTOTHROTTLE_ENABLED", False),
        # Never below the shared limit, so no request waits here after its gate opened.
        ("CONCURRENT_REQUESTS_PER_DOMAIN", max(limit, 1)),
    ):
        settings.set(name, value, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["brwatch_crawler.middlewares.PolitenessMiddleware"] = None
    middlewares["brwatch_crawler.middlewares.SharedPolitenessMiddleware"] = 950
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")


def run_status(counts: dict[str, Any]) -> str:
    """As for `brwatch crawl`: failed when no entry point could be fetched."""
    if int(counts.get("entry_ok", 0)) == 0 and counts.get("entry_failed"):
        return "failed"
    return "ok"


class WorkerLoop:
    """Up to ``jobs`` crawls at once in one reactor (each its own Scrapy crawler), so one
    worker keeps many politeness-bound hosts busy; claims more while below that."""

    def __init__(
        self, node: WorkerNode, runner: CrawlerRunner, sources: list[Source], jobs: int
    ) -> None:
        self.node = node
        self.runner = runner
        self.sources = {source.name: source for source in sources}
        self.jobs = max(1, jobs)
        self.draining = False
        self.crawlers: dict[int, Crawler] = {}
        self.closing: set[asyncio.Future[None]] = set()
        self.grace = runner.settings.getfloat("BRWATCH_STOP_GRACE")

    def run(self):  # type: ignore[no-untyped-def]
        from twisted.internet import defer, reactor, task, threads

        @defer.inlineCallbacks
        def loop():  # type: ignore[no-untyped-def]
            try:
                while not self.draining:
                    if len(self.node.running) >= self.jobs:
                        yield task.deferLater(reactor, self.node.settings.poll, lambda: None)
                        continue
                    running = yield threads.deferToThread(self.node.next_job)
                    if running is None:
                        yield task.deferLater(reactor, self.node.settings.poll, lambda: None)
                        continue
                    self._crawl(running)
                while self.node.running:  # draining: the crawls under way end first
                    yield task.deferLater(reactor, 0.2, lambda: None)
            except Exception:
                log.exception("the worker loop failed")
            finally:
                reactor.stop()  # type: ignore[misc]

        return loop()

    def _crawl(self, running: RunningJob) -> None:
        from scrapy import signals
        from twisted.internet import threads

        from brwatch_crawler.spiders.news import NewsSpider

        job = running.job
        source = self.sources.get(job.source)
        if source is None:
            log.error("job %s: no source %r in this worker's file", job.id, job.source)
            threads.deferToThread(self.node.close_job, running, "failed",
                                  {"errors": {"unknown_source": 1}}, drained=False)  # fmt: skip
            return
        crawler = self.runner.create_crawler(NewsSpider)
        self.crawlers[job.id] = crawler
        counts: dict[str, Any] = {}

        def closed(spider: object, reason: str) -> None:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            counts.update(per_source(stats).get(source.name, {}))
            counts["reason"] = reason

        # A strong reference: Scrapy's signals hold weak ones, and this closure has no other.
        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        running.on_lost = lambda: self._stop_crawl_from_thread(job.id, "lease_lost")

        def finished(_: object) -> object:
            self.crawlers.pop(job.id, None)
            return threads.deferToThread(
                self.node.close_job, running, run_status(counts), counts, drained=self.draining
            )

        def failed(failure: object) -> None:
            log.error("job %s: the crawl failed: %s", job.id, failure)

        run_ids = {source.name: running.run_id}
        done = self.runner.crawl(crawler, sources=[source], leases=running.leases,
                                 run_ids=run_ids)  # fmt: skip
        done.addBoth(finished).addErrback(failed)

    def _stop_crawl_from_thread(self, job_id: int, reason: str) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.stop_crawl, job_id, reason)

    def stop_crawl(self, job_id: int, reason: str) -> None:
        crawler = self.crawlers.get(job_id)
        if crawler is None or not crawler.crawling:
            return
        if crawler.engine is None or not crawler.engine.running:
            # Still opening (its page workers start): stop it as soon as it runs.
            from twisted.internet import reactor

            reactor.callLater(0.2, self.stop_crawl, job_id, reason)  # type: ignore[arg-type]
            return
        drop_waiting(crawler)
        # Pages in transfer finish and are stored before the spider closes.
        closing = asyncio.ensure_future(crawler.engine.close_spider_async(reason=reason))
        self.closing.add(closing)
        closing.add_done_callback(self.closing.discard)

    def drain(self, signum: int, frame: object) -> None:
        from twisted.internet import reactor

        if self.draining:
            return
        self.draining = True
        log.warning("draining: finishing the pages in transfer, giving back the rest")
        reactor.callFromThread(self._stop_all)
        deadline = threading.Timer(self.grace, self._give_up)
        deadline.daemon = True
        deadline.start()

    def _stop_all(self) -> None:
        for job_id in list(self.crawlers):
            self.stop_crawl(job_id, "shutdown")

    def _give_up(self) -> None:
        from brwatch_crawler.pipelines import kill_workers

        print(f"error: the worker did not drain within {self.grace:g}s; leaving", file=sys.stderr)
        kill_workers()
        os._exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings_of_worker = WorkerSettings(lease=args.lease, freshness=args.freshness, poll=args.poll)
    try:
        sources = load_sources(args.sources)
        check_stages()
        settings = build_settings(args.set)
        node = WorkerNode.join(
            database_url(args.db), args.redis, args.worker_id, settings_of_worker
        )
    except (BrwatchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings.set("BRWATCH_DB_URL", node.db.url, priority="cmdline")
    settings.set("BRWATCH_REDIS_URL", args.redis, priority="cmdline")
    settings.set("BRWATCH_WORKER_ID", node.worker_id, priority="cmdline")
    settings.set("BRWATCH_ENTRY_HOSTS", entry_hosts(sources), priority="cmdline")
    if "BRWATCH_WORKERS" not in {item.partition("=")[0].strip() for item in args.set}:
        # One page-worker pool for all the worker's crawls: a process per core it may use.
        settings.set("BRWATCH_WORKERS", _cores(), priority="cmdline")
    share_politeness(settings, sources)
    configure_logging(settings)
    install_reactor(settings["TWISTED_REACTOR"])
    from twisted.internet import reactor

    runner = CrawlerRunner(settings)
    loop = WorkerLoop(node, runner, sources, args.jobs)
    node.on_id_lost = lambda: loop.drain(signal.SIGTERM, None)
    signal.signal(signal.SIGTERM, loop.drain)
    signal.signal(signal.SIGINT, loop.drain)
    node.start_renewing()
    log.info("worker %s joined: %d sources known", node.worker_id, len(sources))
    reactor.callWhenRunning(loop.run)
    reactor.run(installSignalHandlers=False)  # type: ignore[misc, call-arg]
    node.leave()
    log.info("worker %s left", node.worker_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
