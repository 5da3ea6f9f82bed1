"""What an evidence package says about one article, gathered from the database as JSON documents:
the article, its verdict (own and for reuse), every capture, the attribution checks, and the
decision trail with users and times (and the grants decisions relied on)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.provenance.rights import effective_rights_in
from brwatch.reuse.grants import grant_dict
from brwatch.storage.models import Article, AttributionCheck, AuditEvent, Grant, Snapshot


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def article_document(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "lang": article.lang,
        "published": iso(article.published),
        "authors": list(article.authors or []),
        "site_name": article.site_name,
        "origin": article.origin,
        "relevant": bool(article.relevant),
        "first_seen_at": iso(article.first_seen_at),
        "fetched_at": iso(article.fetched_at),
        "content_sha256": article.content_sha256,
        "review": {"state": article.review_state, "version": article.review_version},
    }


def verdict_document(session: Session, article: Article) -> dict[str, Any]:
    return {
        # The page's own verdict, with every finding (rule id, matched text, where, offsets).
        "rights": article.rights,
        "ruleset": article.ruleset,
        # What applies to reuse: combined with the original it reprints and publisher terms.
        "reuse_rights": effective_rights_in(session, article) if article.rights else None,
        "attribution": article.attribution,
    }


def captures_document(snapshots: list[Snapshot], record_ids: dict[int, str]) -> list[dict]:
    return [
        {
            "snapshot_id": snapshot.id,
            "url": snapshot.url,
            "fetched_at": iso(snapshot.fetched_at),
            "status": snapshot.status,
            "headers": snapshot.headers,
            "sha256": snapshot.sha256,
            "warc_record_id": record_ids.get(snapshot.id),
            "hints": snapshot.hints,
        }
        for snapshot in snapshots
    ]


def attribution_document(session: Session, article_id: int) -> list[dict[str, Any]]:
    checks = session.scalars(
        select(AttributionCheck)
        .where(AttributionCheck.article_id == article_id)
        .order_by(AttributionCheck.checked_at, AttributionCheck.id)
    )
    return [
        {
            "checked_at": iso(check.checked_at),
            "origin": check.origin,
            "origin_url": check.origin_url,
            "link_url": check.link_url,
            "outcome": check.outcome,
            "http_status": check.http_status,
            "final_url": check.final_url,
            "redirects": check.redirects,
            "evidence": check.evidence,
        }
        for check in checks
    ]


def decisions_document(session: Session, article_id: int) -> dict[str, Any]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "article", AuditEvent.entity_id == article_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    grant_ids = sorted(
        {
            int(event.after["grant_id"])
            for event in events
            if isinstance(event.after, dict) and isinstance(event.after.get("grant_id"), int)
        }
    )
    grants = session.scalars(select(Grant).where(Grant.id.in_(grant_ids))).all()
    return {
        "trail": [
            {
                "at": iso(event.at),
                "user": event.user,
                "action": event.action,
                "before": event.before,
                "after": event.after,
                "note": event.note,
            }
            for event in events
        ],
        "grants": [
            {k: iso(v) if isinstance(v, datetime) else v for k, v in grant_dict(grant).items()}
            for grant in grants
        ],
    }
