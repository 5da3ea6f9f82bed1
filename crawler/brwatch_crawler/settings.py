"""Scrapy settings for brwatch: polite by default, tuned for many sites at once.

Every value can be overridden for one run with ``brwatch crawl --set NAME=VALUE``. The
``BRWATCH_*`` settings are read by brwatch's own components; their defaults, and the
environment variables of the same names, come from brwatch.settings.CrawlSettings (documented
in docs/settings.md).
"""

from brwatch.settings import CrawlSettings

_brwatch = CrawlSettings.load()

BOT_NAME = "brwatch"
SPIDER_MODULES = ["brwatch_crawler.spiders"]
NEWSPIDER_MODULE = "brwatch_crawler.spiders"

USER_AGENT = _brwatch.user_agent

# Politeness: robots.txt (with Crawl-delay, see crawler.politeness), adaptive delays, few
# parallel requests per host.
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Failing fast on dead hosts; retrying transient failures with exponential backoff.
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
BRWATCH_RETRY_BACKOFF = _brwatch.retry_backoff  # seconds before the first retry, then doubled

# No news page is this big; bigger responses are dropped and counted as "too_large".
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# Traps: listings are followed at most this deep and this many pages per URL shape.
DEPTH_LIMIT = 30
BRWATCH_MAX_LISTING_PAGES = _brwatch.max_listing_pages
# Sitemap indexes can list years of monthly sitemaps; read only the newest few.
BRWATCH_MAX_CHILD_SITEMAPS = _brwatch.max_child_sitemaps
BRWATCH_MAX_SITEMAP_URLS = _brwatch.max_sitemap_urls
# Pages without ETag/Last-Modified are fetched again by age (brwatch.pipeline.refetch).
BRWATCH_REFETCH_AFTER = _brwatch.refetch_after

# CPU work (parse, extract, rights) runs in worker processes; storing is batched.
BRWATCH_WORKERS = _brwatch.workers
# A page still in the workers after this many seconds is skipped (and its worker replaced).
BRWATCH_PAGE_TIMEOUT = _brwatch.page_timeout
BRWATCH_STORE_BATCH = _brwatch.store_batch
BRWATCH_STORE_INTERVAL = _brwatch.store_interval  # a partial batch is written this often
# Seconds storing may fail (database down, disk full) with fetching paused before the crawl
# stops with exit status 3.
BRWATCH_STORE_OUTAGE = _brwatch.store_outage
BRWATCH_PROGRESS_INTERVAL = _brwatch.progress_interval
# After Ctrl-C/SIGTERM, seconds to finish and store pages in flight before leaving regardless.
BRWATCH_STOP_GRACE = _brwatch.stop_grace
# Enough responses in flight to keep the workers busy, few enough to bound memory.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 5_000_000
# Items and requests of ONE response handled in parallel. Pages in flight across responses
# are bounded by the slot size above, not by this; Scrapy starts this many asyncio tasks for
# every response, so 64 cost the reactor ~1 ms per page for nothing (an article yields 1 item).
CONCURRENT_ITEMS = 8

# Every host but the sources' own entry points must be public (or opened by
# BRWATCH_ALLOWED_NETWORKS): checked where the connection gets its address (addresses.py).
DNS_RESOLVER = "brwatch_crawler.addresses.GuardedResolver"
BRWATCH_ENTRY_HOSTS: list[str] = []  # set by brwatch_crawler.run from the sources

# On many hosts (`brwatch worker`), politeness is shared through Redis (docs/crawling.md):
# the in-flight limit per host or politeness group across all workers, and the seconds added
# to each delay because a request leaves a moment after its gate opened.
BRWATCH_HOST_CONCURRENCY = _brwatch.host_concurrency
BRWATCH_GATE_MARGIN = _brwatch.gate_margin

DOWNLOADER_MIDDLEWARES = {
    "brwatch_crawler.addresses.AddressPolicyMiddleware": 50,  # before anything is fetched for it
    "brwatch_crawler.middlewares.PolitenessMiddleware": 110,  # after robots.txt is read
    "brwatch_crawler.middlewares.RetryBackoffMiddleware": 560,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "brwatch_crawler.middlewares.QuickMetaRefreshMiddleware": 580,  # Scrapy's own slot
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "brwatch_crawler.progress.Progress": 500,
}
ITEM_PIPELINES = {
    "brwatch_crawler.pipelines.BrwatchPipeline": 300,
}

LOG_LEVEL = _brwatch.crawl_log_level
TELNETCONSOLE_ENABLED = False
# No control server listening in a crawler process.
REMOTE_CONTROL_ENABLED = False
