"""The reuse verdict stored with each article, and kept current.

An article's reuse verdict (``effective_rights``: its own verdict combined with what it inherits
from the article it reprints and from its credited publisher's registered terms) is stored in
``Article.reuse_rights`` / ``reuse_status`` / ``reuse_conflict``, so the review queue, the item
page, the API, export, the reuse gate, reports and the demo all filter, count and show the same
answer. It goes out of date when an input changes:

- the article's own verdict or origin (a re-crawl, ``brwatch recheck``) or its reprint link:
  setting any of these through the ORM empties ``reuse_basis`` (storage/models.py), and the
  writers that know (storing a batch, linking reprints) recompute at once, copies included;
- the publisher registry (names, domains or terms edited): ``reuse_basis`` holds the registry
  version each verdict was computed with.

Readers call :func:`refresh_stale` first; it costs two index lookups when nothing is stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from brwatch.attribution.registry import PublisherRegistry, load_publishers
from brwatch.provenance.rights import effective_rights_in
from brwatch.storage import Database
from brwatch.storage.models import Article

# Articles recomputed per query (and per transaction when refresh_stale owns the sessions).
BATCH = 500


@lru_cache(maxsize=8)
def registry_version(registry: PublisherRegistry) -> str:
    """A fingerprint of everything in the registry that a reuse verdict can depend on: the
    registered publishers (identities learned from crawled sources carry no terms)."""
    from brwatch.attribution.identities import LearnedPublisher

    entries = [
        publisher.model_dump(mode="json")
        for publisher in registry
        if not isinstance(publisher, LearnedPublisher)
    ]
    encoded = json.dumps(entries, sort_keys=True, ensure_ascii=False).encode()
    return "registry:" + hashlib.sha256(encoded).hexdigest()[:16]


def reuse_fields(session: Session, article: Article, registry: PublisherRegistry) -> dict[str, Any]:
    """The reuse columns for ``article`` (all null while its own verdict is missing and it
    inherits nothing: no rights engine has judged it yet)."""
    rights = effective_rights_in(session, article, registry)
    if article.rights is None and article.rights_status is None and not rights.get("inherited"):
        return {"reuse_rights": None, "reuse_status": None, "reuse_conflict": False}
    return {
        "reuse_rights": rights,
        "reuse_status": rights.get("status") or "unknown",
        "reuse_conflict": bool(rights.get("conflict")),
    }


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def with_copies(session: Session, ids: Iterable[int]) -> list[int]:
    """``ids`` and every article reprinting one of them, transitively (a loop is cut)."""
    found = set(ids)
    frontier = sorted(found)
    while frontier:
        copies: set[int] = set()
        for chunk in _chunks(frontier):
            copies.update(
                session.scalars(select(Article.id).where(Article.reprint_of_id.in_(chunk)))
            )
        frontier = sorted(copies - found)
        found |= copies
    return sorted(found)


def refresh_reuse(
    session: Session, ids: Iterable[int], registry: PublisherRegistry | None = None
) -> int:
    """Recompute and store the reuse verdict of these articles and of every copy inheriting
    from them, in ``session``'s transaction. Returns how many articles were written."""
    registry = registry or load_publishers()
    version = registry_version(registry)
    targets = with_copies(session, ids)
    for chunk in _chunks(targets):
        query = select(Article).where(Article.id.in_(chunk)).options(defer(Article.text))
        for article in session.scalars(query):
            for name, value in reuse_fields(session, article, registry).items():
                setattr(article, name, value)
            article.reuse_basis = version
        session.flush()
    return len(targets)


def _any_stale(session: Session, version: str) -> bool:
    """Whether any reuse verdict is out of date: the smallest and the largest reuse_basis are
    read from the ends of its index (two lookups, whatever the table's size or statistics)."""
    lowest = session.scalar(select(func.min(Article.reuse_basis)))
    if lowest is None:  # no articles
        return False
    return lowest != version or session.scalar(select(func.max(Article.reuse_basis))) != version


def refresh_stale(db: Database | Session, registry: PublisherRegistry | None = None) -> int:
    """Recompute every reuse verdict that is missing or out of date (see the module doc), with
    the copies of each. Given a Database, each batch commits on its own; given a Session, all
    is written in its transaction. Returns how many articles were written."""
    registry = registry or load_publishers()
    version = registry_version(registry)
    if isinstance(db, Session):
        return _refresh_stale_in(db, registry, version)
    total = 0
    while True:
        with db.session() as session:
            written = _refresh_stale_in(session, registry, version, limit=BATCH)
        total += written
        if not written:
            return total


def _refresh_stale_in(
    session: Session, registry: PublisherRegistry, version: str, limit: int | None = None
) -> int:
    total = 0
    while _any_stale(session, version):
        # "<" or ">" rather than "!=" (both backends read a range from the index), and no ORDER
        # BY (SQLite would then walk the table by id instead).
        query = (
            select(Article.id)
            .where(or_(Article.reuse_basis < version, Article.reuse_basis > version))
            .limit(BATCH)
        )
        total += refresh_reuse(session, list(session.scalars(query)), registry)
        if limit is not None and total >= limit:
            break
    return total
