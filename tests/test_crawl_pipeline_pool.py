"""The crawl pipeline's worker pool: a slow or crashing page costs only itself (issue 18.2).

The pool is the pipeline's own, forked here (not fork-served) so the workers run this test's
stand-in for process_page: instant pages, one that sleeps past the timeout, one that kills its
worker. Every page ends processed or as a counted error; none vanishes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import brwatch_crawler.pipelines as pipelines
import pytest

from brwatch.document import FetchedPage

pytestmark = pytest.mark.slow


def stand_in(page: FetchedPage, hub_check: Any = None) -> Any:
    if page.url.endswith("/slow"):
        time.sleep(3)
    if page.url.endswith("/crash") and not os.environ.get("BRWATCH_TEST_CRASHED"):
        os._exit(1)  # a worker killed mid-page (the OOM killer, say)
    return SimpleNamespace(url=page.url, error=None)


class Stats:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def inc_value(self, key: str, n: int = 1) -> None:
        self.counts[key] += n


def pipeline(monkeypatch: pytest.MonkeyPatch, timeout: float) -> pipelines.BrwatchPipeline:
    monkeypatch.setattr(pipelines, "process_page", stand_in)
    stats = Stats()
    crawler = SimpleNamespace(
        settings=SimpleNamespace(
            get=lambda name: None,
            getdict=lambda name: {},
            getint=lambda name: {"BRWATCH_WORKERS": 2, "BRWATCH_STORE_BATCH": 50}[name],
            getfloat=lambda name: {
                "BRWATCH_STORE_INTERVAL": 1.0,
                "BRWATCH_PAGE_TIMEOUT": timeout,
                "BRWATCH_STORE_OUTAGE": 60.0,
            }[name],
        ),
        stats=stats,
    )
    made = pipelines.BrwatchPipeline(crawler)  # type: ignore[arg-type]
    fork = multiprocessing.get_context("fork")
    made._new_pool = lambda: ProcessPoolExecutor(2, mp_context=fork)  # type: ignore[method-assign]
    made.pool = made._new_pool()
    return made


def page(path: str) -> FetchedPage:
    return FetchedPage(f"http://news.example{path}", b"<p>x</p>", 200, {}, datetime.now(UTC), "src")


async def process_all(made: pipelines.BrwatchPipeline, paths: list[str]) -> list[Any]:
    return await asyncio.gather(*(made._processed(page(p)) for p in paths))


def test_a_slow_page_times_out_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    made = pipeline(monkeypatch, timeout=0.5)
    paths = [f"/a/{n}" for n in range(12)]
    paths.insert(3, "/slow")
    try:
        results = asyncio.run(process_all(made, paths))
    finally:
        made.pool.shutdown(cancel_futures=True)
    by_url = {page(p).url: r for p, r in zip(paths, results, strict=True)}
    slow = by_url.pop(page("/slow").url)
    assert slow is not None and "took over 0.5s" in slow.error
    assert all(r is not None and r.error is None for r in by_url.values())
    assert made.crawler.stats.counts == Counter()  # the error is counted by process_item


def test_a_dying_worker_costs_no_other_page(monkeypatch: pytest.MonkeyPatch) -> None:
    made = pipeline(monkeypatch, timeout=30)
    paths = [f"/a/{n}" for n in range(12)]
    paths.insert(5, "/crash")
    try:
        results = asyncio.run(process_all(made, paths))
    finally:
        made.pool.shutdown(cancel_futures=True)
    by_url = {page(p).url: r for p, r in zip(paths, results, strict=True)}
    assert by_url.pop(page("/crash").url) is None  # tried twice, then a counted error
    assert all(r is not None and r.error is None for r in by_url.values())
    assert made.crawler.stats.counts == Counter({"brwatch/src/errors/parse": 1})
