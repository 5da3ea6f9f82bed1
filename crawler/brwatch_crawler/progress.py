"""Progress events for `brwatch crawl`: JSON lines on stdout, one snapshot of per-source counts
every BRWATCH_PROGRESS_INTERVAL seconds and a final ``done`` event.

The counts come from Scrapy's stats collector, under ``brwatch/<source>/<what>`` keys that
the spider and the pipeline increment.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

PREFIX = "brwatch/"


def per_source(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{"src": {"pages": 3, "errors": {"dns": 1}, …}} from flat ``brwatch/src/...`` keys."""
    sources: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if not key.startswith(PREFIX):
            continue
        parts = key[len(PREFIX) :].split("/")
        entry = sources.setdefault(parts[0], {"pages": 0, "items": 0, "errors": {}})
        if len(parts) == 3 and parts[1] == "errors":
            entry["errors"][parts[2]] = value
        elif len(parts) == 2:
            entry[parts[1]] = value
    return sources


class Progress:
    def __init__(self, crawler: Crawler, out: TextIO, interval: float) -> None:
        self.crawler = crawler
        self.out = out
        self.interval = interval
        self.started = time.monotonic()
        self.ticker: asyncio.Task[None] | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not crawler.settings.getbool("BRWATCH_PROGRESS"):
            raise NotConfigured("BRWATCH_PROGRESS is off")
        return cls(crawler, sys.stdout, crawler.settings.getfloat("BRWATCH_PROGRESS_INTERVAL"))

    def emit(self, event: str, **extra: Any) -> None:
        stats = self.crawler.stats.get_stats()
        record = {
            "event": event,
            "elapsed": round(time.monotonic() - self.started, 3),
            "sources": per_source(stats),
            **extra,
        }
        self.out.write(json.dumps(record, default=str) + "\n")
        self.out.flush()

    def spider_opened(self, spider: Spider) -> None:
        names = [source.name for source in getattr(spider, "sources", [])]
        self.out.write(json.dumps({"event": "started", "names": names}) + "\n")
        self.out.flush()
        self.ticker = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.emit("progress")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.ticker:
            self.ticker.cancel()
        self.emit("done", reason=reason)
