"""Keeping attribution checks: a row per check, the newest mirrored on the Article."""

from __future__ import annotations

import gzip
import logging
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from brwatch.attribution.check import AttributionResult, check_attribution, link_fetcher
from brwatch.attribution.identities import publisher_directory
from brwatch.attribution.registry import PublisherRegistry
from brwatch.document import FetchedPage, parse_document
from brwatch.fetch import SafeFetcher
from brwatch.storage import Database
from brwatch.storage.models import Article, AttributionCheck, Snapshot

log = logging.getLogger(__name__)


def store_attribution(db: Database, article_id: int, result: AttributionResult) -> None:
    """Record one check and mirror it on the article (attribution, attribution_link)."""
    with db.session() as session:
        _store(session, article_id, result)


def _store(session: Session, article_id: int, result: AttributionResult) -> None:
    article = session.get(Article, article_id)
    if article is None:
        raise LookupError(f"article {article_id} does not exist")
    session.add(
        AttributionCheck(
            article_id=article_id,
            origin=result.origin,
            origin_url=result.origin_url,
            link_url=result.link_url,
            outcome=result.outcome,
            http_status=result.http_status,
            final_url=result.final_url,
            redirects=list(result.redirects),
            evidence=result.evidence,
            checked_at=result.checked_at,
        )
    )
    article.attribution = result.to_dict()
    article.attribution_link = result.outcome


def _snapshot_html(snapshot: Snapshot) -> bytes:
    data = snapshot.html_gz
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return data  # stored uncompressed by an older writer


def _latest_snapshot(session: Session, article_id: int) -> Snapshot | None:
    return session.scalars(
        select(Snapshot)
        .where(Snapshot.article_id == article_id)
        .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
        .limit(1)
    ).first()


def check_stored_article(
    db: Database,
    article_id: int,
    fetcher: SafeFetcher | None = None,
    registry: PublisherRegistry | None = None,
) -> AttributionResult:
    """Check (or re-check) one stored article from its newest snapshot, and store the result."""
    with db.session() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise LookupError(f"article {article_id} does not exist")
        origin = article.origin or (article.rights or {}).get("origin")
        # The stored original this copy reprints: a link landing on it is the right one.
        original = session.get(Article, article.reprint_of_id) if article.reprint_of_id else None
        origin_url = original.url if original is not None and origin else None
        snapshot = _latest_snapshot(session, article_id)
        url = article.url
        html = _snapshot_html(snapshot) if snapshot is not None else (article.text or "").encode()
        headers = dict(snapshot.headers or {}) if snapshot is not None else {}
    # The network check runs outside any transaction: it may take seconds.
    doc = parse_document(FetchedPage(url=url, body=html, headers=headers))
    registry = registry or publisher_directory(db)
    result = check_attribution(doc, url, origin, fetcher, origin_url=origin_url, registry=registry)
    with db.session() as session:
        _store(session, article_id, result)
    return result


def recheck_attribution(
    db: Database,
    older_than: timedelta = timedelta(hours=24),
    *,
    fetcher: SafeFetcher | None = None,
    limit: int | None = None,
    registry: PublisherRegistry | None = None,
    workers: int = 4,
) -> dict[str, int]:
    """Check articles crediting an origin that were never checked or not since ``older_than``.

    Returns counts by outcome (plus ``errors`` for articles that could not be checked). Checks
    wait on other sites, so ``workers`` of them run at once. The scheduler runs this as a
    recurring job; ``brwatch attribution check`` runs it by hand.
    """
    cutoff = datetime.now(UTC) - older_than
    latest = (
        select(AttributionCheck.article_id)
        .where(AttributionCheck.checked_at >= cutoff)
        .distinct()
        .scalar_subquery()
    )
    query = (
        select(Article.id)
        .where(or_(Article.origin.is_not(None), Article.attribution_link.is_not(None)))
        .where(Article.id.not_in(latest))
        .order_by(Article.id)
    )
    if limit:
        query = query.limit(limit)
    with db.session() as session:
        ids = list(session.scalars(query))
    fetcher = fetcher or link_fetcher()
    registry = registry or publisher_directory(db)

    def check(article_id: int) -> str:
        try:
            return check_stored_article(db, article_id, fetcher, registry).outcome
        except Exception:  # one bad article must not stop the recheck of the others
            log.exception("attribution check of article %s failed", article_id)
            return "errors"

    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        return dict(Counter(pool.map(check, ids)))
