"""Writing processed pages: one transaction per batch, one article per canonical URL.

The crawler hands over pages in batches (a transaction per page would make the database the
bottleneck). If a batch fails on a constraint — another process stored the same canonical URL a
moment earlier — the batch is retried page by page so one conflict never loses the others.
After a batch is committed, its new or changed articles (fingerprinted by the workers) are
linked to the articles they reprint (provenance) in one more transaction, in this long-lived
writing process where the index lives.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from brwatch.attribution.identities import record_pages
from brwatch.pipeline.process import ProcessedPage
from brwatch.pipeline.stages import ruleset
from brwatch.provenance.index import save_fingerprints
from brwatch.provenance.reuse import refresh_reuse
from brwatch.rights.unmatched import has_unmatched
from brwatch.storage import Database
from brwatch.storage.articles import (
    Fetch,
    SnapshotData,
    add_run_items,
    mark_seen_many,
    upsert_articles,
)

log = logging.getLogger(__name__)

# Linking a stored batch: attempts on a database error, and the pause before the n-th retry (× n).
LINK_ATTEMPTS = 3
LINK_RETRY_SECONDS = 0.5

RunIds = Mapping[str, int] | int | None
# New or changed articles with a text long enough to compare: article id -> fingerprint.
Stored = dict[int, bytes]


@dataclass(frozen=True, slots=True)
class Visit:
    """A fetch that produced no article to store: 304 Not Modified, 404, 410, or a page whose
    bytes are those fetched last time (``unchanged``)."""

    url_key: str
    source: str
    status: int
    fetched_at: datetime
    unchanged: bool = False


class Fence(Protocol):
    """What guards a batch on many hosts (brwatch.cluster.leases): inside the batch's
    transaction, ``admit`` keeps the fetched URL keys whose lease is still this worker's and
    ``seal`` marks them done, so articles, snapshots and done marks commit together or not
    at all."""

    def admit(self, session: Session, url_keys: list[str]) -> set[str]: ...

    def seal(self, session: Session, url_keys: Iterable[str]) -> None: ...


def _run_id(run_ids: RunIds, source: str) -> int | None:
    if isinstance(run_ids, int) or run_ids is None:
        return run_ids
    return run_ids.get(source)


def _article_fields(page: ProcessedPage) -> dict[str, object]:
    rights = page.rights
    return {
        **page.article,
        "url": page.url,
        "source": page.source,
        "topic_score": page.topic_score,
        "relevant": page.relevant,
        "rights": rights,
        "rights_status": rights.get("status") if rights else None,
        "rights_conflict": bool(rights.get("conflict")) if rights else False,
        "rights_unmatched": has_unmatched(rights),
        "ruleset": (rights.get("ruleset") or ruleset()) if rights else None,
        "origin": rights.get("origin") if rights else None,
        "content_hash": page.content_hash,
    }


def _snapshot(page: ProcessedPage) -> SnapshotData:
    return SnapshotData(
        url=page.url,
        status=page.status,
        headers=page.headers,
        html_gz=page.html_gz,
        sha256=page.sha256,
        encoding=page.encoding,
        hints=page.hints,
        fetched_at=page.fetched_at,
        rights=page.rights,
    )


def _fetches(page: ProcessedPage, article_id: int) -> list[Fetch]:
    """The fetched URL, and the canonical URL too, so a later link to it is not fetched again
    (validators belong to the fetched URL only)."""
    keys = dict.fromkeys((page.url_key, page.canonical_url))
    return [
        Fetch(key, page.source, page.status, page.fetched_at, article_id, page.etag,
              page.last_modified, page.sha256, keep_validators=key != page.url_key)
        for key in keys
    ]  # fmt: skip


def _fenced_write(
    session: Session,
    pages: list[ProcessedPage],
    run_ids: RunIds,
    stored: Stored,
    fence: Fence | None,
) -> Counter[str]:
    if fence is None:
        return _write(session, pages, run_ids, stored)
    keys = fence.admit(session, [page.url_key for page in pages])
    admitted = [page for page in pages if page.url_key in keys]
    outcomes = _write(session, admitted, run_ids, stored) if admitted else Counter()
    fence.seal(session, keys)
    if len(admitted) < len(pages):
        outcomes["lease_lost"] += len(pages) - len(admitted)
    return outcomes


def _write(
    session: Session, pages: list[ProcessedPage], run_ids: RunIds, stored: Stored
) -> Counter[str]:
    """Write pages; new or changed articles' fingerprints are added to ``stored``."""
    written = upsert_articles(
        session, [(page.canonical_url, _article_fields(page), _snapshot(page)) for page in pages]
    )
    mark_seen_many(
        session,
        [
            fetch
            for page, (article, _) in zip(pages, written, strict=True)
            for fetch in _fetches(page, article.id)
        ],
    )
    # What each source's pages call the site, and the hosts its articles are on.
    record_pages(session, [(page.source, page.url, page.site_names) for page in pages])
    outcomes: Counter[str] = Counter()
    per_run: Counter[int] = Counter()
    fresh: Stored = {}
    for page, (article, outcome) in zip(pages, written, strict=True):
        outcomes[outcome] += 1
        if outcome in ("new", "changed") and page.fingerprint is not None:
            fresh[article.id] = page.fingerprint
        run_id = _run_id(run_ids, page.source)
        if run_id is not None:
            per_run[run_id] += 1
    for run_id, count in per_run.items():
        add_run_items(session, run_id, count)
    # The signatures commit with their articles: a crash before linking leaves articles that
    # the next linking finds, never articles that nothing will ever compare.
    save_fingerprints(session, fresh)
    stored |= fresh
    # The reuse verdict is stored with the article (and its copies inherit it), so it is written
    # in the same transaction as the verdict it derives from.
    refresh_reuse(session, [article.id for article, _ in written])
    return outcomes


def store_batch(
    db: Database, pages: Iterable[ProcessedPage], run_ids: RunIds = None, fence: Fence | None = None
) -> Counter[str]:
    """Store pages (those without ``error``); returns counts of new/changed/unchanged/failed,
    and ``lease_lost`` for pages a ``fence`` refused."""
    batch = [page for page in pages if page.error is None]
    if not batch:
        return Counter()
    stored: Stored = {}
    try:
        with db.session() as session:
            outcomes = _fenced_write(session, batch, run_ids, stored, fence)
    except IntegrityError:
        log.info("batch of %d hit a concurrent write; storing one by one", len(batch))
        stored.clear()
        outcomes = Counter()
        for page in batch:
            written: Stored = {}
            try:
                with db.session() as session:
                    outcomes += _fenced_write(session, [page], run_ids, written, fence)
                stored |= written
            except IntegrityError as exc:
                log.error("cannot store %s: %s", page.url, exc.orig or exc)
                outcomes["failed"] += 1
    _link_reprints(db, stored)
    return outcomes


def _link_reprints(db: Database, stored: Stored) -> None:
    """Provenance for freshly stored articles; a failure is logged, the articles stay stored.

    A database error is tried again: two crawler hosts linking overlapping clusters at once can
    deadlock or time out on each other's rows, and the retry is all either needs (linking is
    idempotent: the signatures are upserted and the links recomputed).
    """
    if not stored:
        return
    from brwatch.provenance.links import link_batch  # numpy: only when storing

    articles = ", ".join(map(str, sorted(stored)))
    for attempt in range(1, LINK_ATTEMPTS + 1):
        try:
            link_batch(db, stored, save=False)
            return
        except Exception as exc:
            if not isinstance(exc, DBAPIError) or attempt == LINK_ATTEMPTS:
                log.error(
                    "cannot link reprints of articles %s: %s: %s",
                    articles,
                    type(exc).__name__,
                    exc,
                )
                return
            log.warning(
                "linking reprints of articles %s failed (%s); trying again", articles, exc.orig
            )
            time.sleep(LINK_RETRY_SECONDS * attempt)


def store_processed(db: Database, processed: ProcessedPage, run_id: int | None = None) -> str:
    """Store one page; returns ``new``, ``changed``, ``unchanged``, ``failed`` or ``skipped``."""
    outcomes = store_batch(db, [processed], run_id)
    return next(iter(outcomes), "skipped")


def remember_visits(db: Database, visits: Iterable[Visit], fence: Fence | None = None) -> None:
    """Record fetches with nothing new: 304 and unchanged pages keep the stored validators,
    404/410 are not retried."""
    fetches = [
        Fetch(v.url_key, v.source, v.status, v.fetched_at,
              keep_validators=v.status == 304 or v.unchanged)
        for v in visits
    ]  # fmt: skip
    if fetches:
        with db.session() as session:
            if fence is not None:
                keys = fence.admit(session, [fetch.url_key for fetch in fetches])
                fetches = [fetch for fetch in fetches if fetch.url_key in keys]
                fence.seal(session, keys)
            if fetches:
                mark_seen_many(session, fetches)
