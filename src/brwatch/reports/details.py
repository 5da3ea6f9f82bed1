"""Item details: restricted articles and those named in exceptions, with notice text, rule ids,
newest snapshot hash and decision trail, loaded in chunks for just the items wanted."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.reports.model import RESTRICTED_STATUSES, restricted_clause
from brwatch.reports.scope import Scope, chunks, iso, review_state_in, utc
from brwatch.storage.models import Article, AuditEvent, Snapshot

# Evidence text is quoted up to this many characters; the snapshot holds the rest.
NOTICE_CHARS = 500


_ITEM_COLUMNS = (
    Article.id,
    Article.title,
    Article.url,
    Article.canonical_url,
    Article.source,
    Article.lang,
    Article.published,
    Article.first_seen_at,
    Article.fetched_at,
    Article.relevant,
    Article.rights,
    Article.rights_status,
    Article.reuse_rights,
    Article.reuse_status,
    Article.reuse_conflict,
    Article.ruleset,
    Article.origin,
    Article.attribution_link,
    Article.review_state,
    Article.content_sha256,
)


def items_for(
    session: Session, scope: Scope, exceptions: list[dict[str, Any]], limit: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Restricted relevant articles of the period plus every article named in an exception,
    newest first, each with notices, rule ids, snapshot hash and decision trail.

    Returns the first ``limit`` items (all when None) and how many there are in total: the
    order is settled on two cheap columns before any verdict or trail is loaded.
    """
    restricted = scope.articles(
        select(Article.id, Article.first_seen_at).where(Article.relevant, restricted_clause())
    )
    seen = {article_id: utc(moment) for article_id, moment in session.execute(restricted)}
    extra_ids = sorted({e["article_id"] for e in exceptions if e["article_id"]} - seen.keys())
    for chunk in chunks(extra_ids):
        stmt = select(Article.id, Article.first_seen_at).where(Article.id.in_(chunk))
        seen.update((article_id, utc(moment)) for article_id, moment in session.execute(stmt))
    ordered = sorted(seen, key=lambda article_id: (seen[article_id], article_id), reverse=True)
    chosen = ordered if limit is None else ordered[:limit]
    rows: dict[int, Any] = {}
    for chunk in chunks(chosen):
        rows.update(
            (row.id, row)
            for row in session.execute(select(*_ITEM_COLUMNS).where(Article.id.in_(chunk)))
        )
    trails = _trails(session, chosen)
    snapshots = _snapshot_hashes(session, chosen)
    kinds: dict[int, list[str]] = {}
    for entry in exceptions:
        if entry["article_id"] and entry["kind"] not in kinds.setdefault(entry["article_id"], []):
            kinds[entry["article_id"]].append(entry["kind"])
    items = [
        _item(
            rows[article_id],
            trails.get(article_id, []),
            snapshots.get(article_id),
            kinds.get(article_id, []),
        )
        for article_id in chosen
    ]
    return items, len(ordered)


def _item(
    row: Any, trail: list[dict[str, Any]], snapshot_sha: str | None, exception_kinds: list[str]
) -> dict[str, Any]:
    # A verdict written by an older or broken writer must not stop the report. The reuse
    # verdict's evidence holds the page's own and what it inherits (marked "inherited").
    own = row.rights if isinstance(row.rights, dict) else {}
    rights = row.reuse_rights if isinstance(row.reuse_rights, dict) else own
    notices = [
        {
            "rule_id": evidence.get("rule_id"),
            "kind": evidence.get("kind"),
            "status": evidence.get("status"),
            "scope": evidence.get("scope"),
            "text": str(evidence.get("text") or "")[:NOTICE_CHARS],
            "inherited": bool(evidence.get("inherited")),
        }
        for evidence in rights.get("evidence") or []
        if isinstance(evidence, dict) and evidence.get("status")
    ]
    inherited = [
        {
            "via": part.get("via"),
            "status": part.get("status"),
            "article_id": part.get("article_id"),
            "url": part.get("url"),
            "publisher": part.get("publisher"),
            "terms_url": part.get("terms_url"),
        }
        for part in rights.get("inherited") or []
        if isinstance(part, dict)
    ]
    rule_ids = sorted(
        {
            str(e.get("rule_id"))
            for e in rights.get("evidence") or []
            if isinstance(e, dict) and e.get("rule_id")
        }
    )
    return {
        "id": row.id,
        "title": row.title,
        "url": row.url,
        "canonical_url": row.canonical_url,
        "source": row.source,
        "lang": row.lang,
        "published": iso(row.published),
        "collected_at": iso(row.first_seen_at),
        "crawled_at": iso(row.fetched_at),
        "relevant": bool(row.relevant),
        "restricted": bool(
            row.relevant and (row.reuse_status in RESTRICTED_STATUSES or row.reuse_conflict)
        ),
        # The reuse verdict, as every surface shows it; the page's own beside it.
        "rights_status": row.reuse_status,
        "page_rights_status": row.rights_status,
        "inherited": inherited,
        "license": rights.get("license"),
        "conflict": bool(row.reuse_conflict),
        "origin": row.origin,
        "notices": notices,
        "rule_ids": rule_ids,
        "ruleset": row.ruleset,
        "attribution_link": row.attribution_link,
        "review_state": row.review_state,
        "snapshot_sha256": snapshot_sha or row.content_sha256,
        "decisions": trail,
        "exceptions": exception_kinds,
        # The signed evidence package: the web app's download, or the command that makes it.
        "evidence": {
            "href": f"/items/{row.id}/evidence",
            "command": f"brwatch evidence {shlex.quote(row.canonical_url)} -o item-{row.id}.wacz",
        },
    }


def _trails(session: Session, ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Every audit event about each article, oldest first: the decision trail."""
    trails: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunks(list(ids)):
        stmt = (
            select(
                AuditEvent.entity_id,
                AuditEvent.at,
                AuditEvent.user,
                AuditEvent.action,
                review_state_in(AuditEvent.before).label("before"),
                review_state_in(AuditEvent.after).label("after"),
                AuditEvent.note,
            )
            .where(AuditEvent.entity == "article", AuditEvent.entity_id.in_(chunk))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        for event in session.execute(stmt):
            trails.setdefault(event.entity_id, []).append(
                {
                    "at": iso(event.at),
                    "user": event.user,
                    "action": event.action,
                    "from": event.before,
                    "to": event.after,
                    "note": event.note,
                }
            )
    return trails


def _snapshot_hashes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The SHA-256 of each article's newest snapshot."""
    hashes: dict[int, str] = {}
    for chunk in chunks(list(ids)):
        stmt = (
            select(Snapshot.article_id, Snapshot.sha256)
            .where(Snapshot.article_id.in_(chunk))
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        for article_id, sha in session.execute(stmt):
            hashes[article_id] = sha  # later rows are newer
    return hashes
