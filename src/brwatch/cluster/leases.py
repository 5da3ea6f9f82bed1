"""One worker's URL leases during a crawl job: claims for the spider, the fence for storing.

The spider claims the article URLs it finds (one statement per listing, feed or sitemap);
the pipeline's writer thread stores through :meth:`UrlLeases.admit` and :meth:`seal`
(brwatch.pipeline.store.Fence), keyed by the URL as fetched, which a redirect may change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from brwatch.cluster import frontier
from brwatch.cluster.frontier import Claim
from brwatch.storage import Database


class UrlLeases:
    def __init__(self, db: Database, worker: str, lease: float, freshness: float) -> None:
        self.db = db
        self.worker = worker
        self.lease = lease
        self.freshness = freshness
        # fetched URL key -> (claimed URL key, token); kept for the whole job, so a batch
        # retried page by page is fenced exactly like the first attempt.
        self.held: dict[str, tuple[str, int]] = {}

    def claim(self, source: str, url_keys: Iterable[str]) -> dict[str, Claim]:
        with self.db.session() as session:
            return frontier.claim(
                session, url_keys, source, self.worker, lease=self.lease, freshness=self.freshness
            )

    def claim_orphans(self, source: str) -> dict[str, Claim]:
        """URLs of ``source`` a dead worker held or nobody took: this job fetches them."""
        with self.db.session() as session:
            keys = frontier.orphans(session, source)
            return frontier.claim(
                session, keys, source, self.worker, lease=self.lease, freshness=self.freshness
            )

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

    def renew(self) -> int:
        with self.db.session() as session:
            return frontier.renew(session, self.worker, self.lease)

    def give_back(self) -> int:
        """Every lease this worker still holds goes back to the queue (end of job, drain)."""
        with self.db.session() as session:
            return frontier.give_back(session, self.worker)
