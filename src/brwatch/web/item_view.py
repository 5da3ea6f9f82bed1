"""Everything the item page and `/api/items/{id}` show about one article, gathered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.provenance.reuse import refresh_stale
from brwatch.storage.models import Article, AttributionCheck, AuditEvent, Grant, Snapshot
from brwatch.web.decisions import audit_trail, latest_decision
from brwatch.web.evidence import PlacedEvidence, highlighted_segments, place_evidence, split_signals

MAX_CHAIN = 20  # a reprint chain longer than this is cut (and a loop cannot hang the page)


@dataclass
class ItemView:
    article: Article
    verdict: dict[str, Any]  # the reuse verdict: what every surface shows
    own: dict[str, Any]  # the page's own verdict
    inherited: list[dict[str, Any]]  # each inherited part: from where, via what, which status
    findings: list[PlacedEvidence]
    signals: list[dict[str, Any]]
    segments: list[tuple[str, int | None]]
    checks: list[AttributionCheck]
    reprint_of: list[Article]  # the chain upwards: what this reprints, what that reprints, ...
    reprinted_by: list[Article]
    snapshots: list[Snapshot]
    audit: list[AuditEvent]
    grant: Grant | None  # the grant linked by the current "permission granted" decision

    @property
    def verdict_history(self) -> list[tuple[Any, str]]:
        """(fetched at, the page's own status) per snapshot, oldest first — only when the
        verdict changed between versions (a notice added later): else there is no history."""
        judged = [
            (s.fetched_at, s.rights["status"])
            for s in reversed(self.snapshots)
            if isinstance(s.rights, dict) and s.rights.get("status")
        ]
        return judged if len({status for _, status in judged}) > 1 else []


def _reprint_chain(session: Session, article: Article) -> list[Article]:
    chain: list[Article] = []
    seen = {article.id}
    current = article
    while current.reprint_of_id and current.reprint_of_id not in seen and len(chain) < MAX_CHAIN:
        parent = session.get(Article, current.reprint_of_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        current = parent
    return chain


def load_item(session: Session, article: Article) -> ItemView:
    if refresh_stale(session):
        session.refresh(article)
    own = article.rights if isinstance(article.rights, dict) else {}
    verdict = article.reuse_rights if isinstance(article.reuse_rights, dict) else own
    inherited = [part for part in verdict.get("inherited") or [] if isinstance(part, dict)]
    # The page's own findings are placed in its text; inherited ones are shown with their source.
    evidence = [e for e in own.get("evidence") or [] if isinstance(e, dict)]
    findings, signals = split_signals(evidence)
    last = latest_decision(session, article.id)
    grant_id = (
        (last.after or {}).get("grant_id")
        if last and article.review_state == "permission_granted"
        else None
    )
    return ItemView(
        article=article,
        verdict=verdict,
        own=own,
        inherited=inherited,
        findings=place_evidence(article.text, findings),
        signals=signals,
        segments=highlighted_segments(article.text, findings),
        checks=list(
            session.scalars(
                select(AttributionCheck)
                .where(AttributionCheck.article_id == article.id)
                .order_by(AttributionCheck.checked_at.desc())
            )
        ),
        reprint_of=_reprint_chain(session, article),
        reprinted_by=list(
            session.scalars(select(Article).where(Article.reprint_of_id == article.id).limit(50))
        ),
        snapshots=list(
            session.scalars(
                select(Snapshot)
                .where(Snapshot.article_id == article.id)
                .order_by(Snapshot.fetched_at.desc())
            )
        ),
        audit=audit_trail(session, "article", article.id),
        grant=session.get(Grant, grant_id) if isinstance(grant_id, int) else None,
    )


def _brief(article: Article) -> dict[str, Any]:
    return {"id": article.id, "url": article.url, "source": article.source, "title": article.title}


def item_dict(view: ItemView) -> dict[str, Any]:
    article = view.article
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "lang": article.lang,
        "published": article.published,
        "authors": article.authors,
        "relevant": article.relevant,
        "topic_score": article.topic_score,
        "fetched_at": article.fetched_at,
        # The reuse verdict, as export and the reuse gate use it; the page's own beside it.
        "rights": view.verdict or None,
        "own_rights": view.own or None,
        "inherited": view.inherited,
        "attribution": article.attribution,
        "attribution_checks": [
            {
                "checked_at": c.checked_at,
                "origin": c.origin,
                "origin_url": c.origin_url,
                "link_url": c.link_url,
                "outcome": c.outcome,
                "http_status": c.http_status,
                "final_url": c.final_url,
                "redirects": c.redirects,
            }
            for c in view.checks
        ],
        "reprint_of": [_brief(a) for a in view.reprint_of],
        "reprinted_by": [_brief(a) for a in view.reprinted_by],
        "snapshots": [
            {
                "id": s.id,
                "fetched_at": s.fetched_at,
                "sha256": s.sha256,
                "status": s.status,
                # The page's own verdict on that version (null for snapshots before migration 0006).
                "rights_status": s.rights.get("status") if isinstance(s.rights, dict) else None,
            }
            for s in view.snapshots
        ],
        "review": {
            "state": article.review_state,
            "version": article.review_version,
            "grant_id": view.grant.id if view.grant else None,
        },
        "audit": [audit_dict(event) for event in view.audit],
    }


def audit_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "user": event.user,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "note": event.note,
    }
