"""One worker's URL leases during a crawl job: claims for the spider, the fence for storing.

The spider claims the article URLs it finds (one statement per listing, feed or sitemap;
while the database is away, the claim waits for it, and the crawl with it);
the pipeline's writer thread stores through :meth:`UrlLeases.admit` and :meth:`seal`
(brwatch.pipeline.store.Fence), keyed by the URL as fetched, which a redirect may change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from brwatch.cluster import frontier
from brwatch.cluster.frontier import Claim
from brwatch.storage import Database

log = logging.getLogger(__name__)


T = TypeVar("T")
# How long an operation waits for a lost database before giving up, and its first pause.
OUTAGE_LIMIT = 120.0
FIRST_PAUSE = 0.5


def through_outage(operation: Callable[[], T], what: str, limit: float = OUTAGE_LIMIT) -> T:
    """``operation``, tried again while the database cannot be reached (the worker waits and
    goes on, the crawl with it) for up to ``limit`` seconds, doubling the pause up to 5 s."""
    waited, pause = 0.0, FIRST_PAUSE
    while True:
        try:
            return operation()
        except DBAPIError as exc:
            if waited >= limit:
                raise
            log.warning("cannot %s (%s); trying again in %.1fs", what, exc.orig or exc, pause)
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 5.0)


class UrlLeases:
    def __init__(self, db: Database, worker: str, lease: float, freshness: float) -> None:
        self.db = db
        self.worker = worker
        self.lease = lease
        self.freshness = freshness
        # fetched URL key -> (claimed URL key, token); kept for the whole job, so a batch
        # retried page by page is fenced exactly like the first attempt.
        self.held: dict[str, tuple[str, int]] = {}
        # Every URL this job claimed: what it gives back at its end (other jobs of the same
        # worker keep theirs).
        self.claimed: set[str] = set()

    def claim(self, source: str, url_keys: Iterable[str]) -> dict[str, Claim]:
        keys = list(url_keys)

        def claim() -> dict[str, Claim]:
            with self.db.session() as session:
                return frontier.claim(
                    session, keys, source, self.worker, lease=self.lease, freshness=self.freshness
                )

        claims = through_outage(claim, "claim URLs")
        self.claimed.update(claims)
        return claims

    def claim_orphans(self, source: str) -> dict[str, Claim]:
        """URLs of ``source`` a dead worker held or nobody took: this job fetches them."""

        def claim() -> dict[str, Claim]:
            with self.db.session() as session:
                keys = frontier.orphans(session, source)
                return frontier.claim(
                    session, keys, source, self.worker, lease=self.lease, freshness=self.freshness
                )

        claims = through_outage(claim, "claim orphaned URLs")
        self.claimed.update(claims)
        return claims

    def hold(self, fetched_key: str, claimed_key: str, token: int) -> None:
        self.held[fetched_key] = (claimed_key, token)

    def _tokens(self, url_keys: Iterable[str]) -> dict[str, int]:
        return dict(self.held[key] for key in url_keys if key in self.held)

    def admit(self, session: Session, url_keys: list[str]) -> set[str]:
        """The keys that may be stored: those whose lease is still ours, and those no lease
        governs (a redirect's bookkeeping)."""
        admitted = frontier.admit(session, self.worker, self._tokens(url_keys))
        return {key for key in url_keys if key not in self.held or self.held[key][0] in admitted}

    def seal(self, session: Session, url_keys: Iterable[str]) -> None:
        frontier.complete(session, self.worker, self._tokens(url_keys))

    def give_back(self) -> int:
        """The job's leases still held go back to the queue (end of job, drain)."""
        if not self.claimed:
            return 0
        with self.db.session() as session:
            return frontier.give_back(session, self.worker, sorted(self.claimed))
