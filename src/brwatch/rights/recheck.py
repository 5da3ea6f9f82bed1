"""Re-evaluate stored articles after the rules change, from their newest stored snapshot.

Only articles whose recorded ``ruleset`` differs from the rules in force are read (all of them
with ``everything=True``); each is updated in place: rights, rights_status, rights_conflict,
ruleset and origin. Broken snapshots are counted and named, never fatal.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from brwatch.document import parse_document
from brwatch.rights.engine import verdict_for
from brwatch.rights.rules import ruleset_version
from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot

log = logging.getLogger(__name__)

BATCH = 200
_ORIGIN_MAX = 300


@dataclass(slots=True)
class RecheckSummary:
    ruleset: str
    checked: int = 0
    changed: int = 0
    skipped_no_snapshot: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "ruleset": self.ruleset,
            "checked": self.checked,
            "changed": self.changed,
            "skipped_no_snapshot": self.skipped_no_snapshot,
            "errors": self.errors,
        }


def _pending_ids(db: Database, version: str, everything: bool, limit: int | None) -> list[int]:
    query = select(Article.id).order_by(Article.id)
    if not everything:
        query = query.where(or_(Article.ruleset.is_(None), Article.ruleset != version))
    if limit:
        query = query.limit(limit)
    with db.session() as session:
        return list(session.scalars(query))


def _newest_snapshots(session: Session, ids: list[int]) -> dict[int, Snapshot]:
    newest = (
        select(Snapshot.article_id, func.max(Snapshot.fetched_at).label("at"))
        .where(Snapshot.article_id.in_(ids))
        .group_by(Snapshot.article_id)
        .subquery()
    )
    rows = session.scalars(
        select(Snapshot).join(
            newest,
            (Snapshot.article_id == newest.c.article_id) & (Snapshot.fetched_at == newest.c.at),
        )
    )
    return {snapshot.article_id: snapshot for snapshot in rows}


def recheck_articles(
    db: Database,
    *,
    everything: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecheckSummary:
    version = ruleset_version()
    summary = RecheckSummary(version)
    ids = _pending_ids(db, version, everything, limit)
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        with db.session() as session:
            snapshots = _newest_snapshots(session, batch)
            for article in session.scalars(select(Article).where(Article.id.in_(batch))):
                snapshot = snapshots.get(article.id)
                if snapshot is None:
                    summary.skipped_no_snapshot += 1
                    continue
                try:
                    body = gzip.decompress(snapshot.html_gz)
                except (OSError, EOFError, zlib.error) as exc:
                    summary.errors.append(
                        f"article {article.id} ({article.url}): snapshot {snapshot.id}: {exc}"
                    )
                    continue
                doc = parse_document(
                    body,
                    snapshot.url,
                    headers=dict(snapshot.headers or {}),
                    hints=dict(snapshot.hints or {}),
                )
                verdict = verdict_for(doc, SimpleNamespace(text=article.text or ""))
                summary.checked += 1
                if (
                    verdict.status != article.rights_status
                    or verdict.conflict != article.rights_conflict
                    or verdict.unmatched != article.rights_unmatched
                ):
                    summary.changed += 1
                article.rights = verdict.to_dict()
                article.rights_status = verdict.status
                article.rights_conflict = verdict.conflict
                article.rights_unmatched = verdict.unmatched
                article.ruleset = verdict.ruleset
                article.origin = verdict.origin[:_ORIGIN_MAX] if verdict.origin else None
        if progress:
            progress(min(first + BATCH, len(ids)), len(ids))
    for error in summary.errors:
        log.warning("recheck: %s", error)
    return summary
