"""Failures sorted into the error kinds a crawl run records (docs/ARCHITECTURE.md, CrawlRun)."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as tx_errors
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# What the address policy's refusals say (brwatch_crawler.addresses), kept here so errors need not
# import the crawler's components.
REFUSED = "refused by the address policy"
# Why requests still waiting are dropped on Ctrl-C/SIGTERM: not an error of the site.
STOPPED = "crawl stopped before this request was sent"

# Scrapy wraps Twisted's errors in its own; both spellings are listed.
_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((scrapy_errors.CannotResolveHostError, tx_errors.DNSLookupError), "dns"),
    (
        (scrapy_errors.DownloadTimeoutError, tx_errors.TimeoutError, tx_errors.TCPTimedOutError),
        "timeout",
    ),
    (
        (
            scrapy_errors.DownloadConnectionRefusedError,
            scrapy_errors.DownloadFailedError,
            scrapy_errors.ResponseDataLossError,
            tx_errors.ConnectError,
            tx_errors.ConnectionLost,
            ResponseFailed,
            ResponseNeverReceived,
        ),
        "connect",
    ),
)


def error_kind(failure: Failure) -> str:
    """One of refused, dns, timeout, connect, http_4xx, http_5xx, too_large, robots, stopped,
    other."""
    error = failure.value
    if REFUSED in str(error):
        return "refused"  # the address policy (brwatch_crawler.addresses)
    if isinstance(error, HttpError):
        return "http_5xx" if error.response.status >= 500 else "http_4xx"
    if isinstance(error, scrapy_errors.DownloadCancelledError | defer.CancelledError):
        # Scrapy cancels a download that goes over DOWNLOAD_MAXSIZE ("… larger than download
        # max size …"); any other cancellation is a stopped or timed-out download.
        return "too_large" if "max size" in str(error).lower() else "timeout"
    for types, kind in _KINDS:
        if isinstance(error, types):
            return kind
    if isinstance(error, scrapy_errors.IgnoreRequest):
        if str(error) == STOPPED:
            return "stopped"
        if "robots" in str(error).lower():
            return "robots"
    return "other"


def http_status(failure: Failure) -> int | None:
    error = failure.value
    return error.response.status if isinstance(error, HttpError) else None
