"""A reprint carries its original's rights as well as its own: the stricter wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from brwatch.attribution.registry import PublisherRegistry, load_publishers
from brwatch.rights.model import RESTRICTIVENESS
from brwatch.storage import Database
from brwatch.storage.models import Article


def stricter(a: str | None, b: str | None) -> str:
    """The more restrictive of two statuses; "unknown" (no signal) never overrides a real one."""
    candidates = [s for s in (a, b) if s in RESTRICTIVENESS] or ["unknown"]
    return min(candidates, key=RESTRICTIVENESS.__getitem__)


def combine_rights(
    own: dict[str, Any] | None,
    inherited: dict[str, Any] | None,
    inherited_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge a page's verdict with the verdict it inherits (from its original, or its
    publisher's registered terms). Status: the stricter; obligations and evidence: both;
    requires_link / conflict: either."""
    own = dict(own or {"status": "unknown", "evidence": []})
    if not inherited:
        return own
    merged = dict(own)
    merged["status"] = stricter(own.get("status"), inherited.get("status"))
    merged["requires_link"] = bool(own.get("requires_link") or inherited.get("requires_link"))
    merged["conflict"] = bool(own.get("conflict") or inherited.get("conflict"))
    merged["obligations"] = list(
        dict.fromkeys([*(own.get("obligations") or []), *(inherited.get("obligations") or [])])
    )
    for key in ("license", "credit", "origin"):
        merged[key] = own.get(key) or inherited.get(key)
    if own.get("license") and inherited.get("license") and own["license"] != inherited["license"]:
        merged["license"] = (
            inherited["license"] if merged["status"] == inherited.get("status") else own["license"]
        )
    inherited_evidence = [{**item, "inherited": True} for item in (inherited.get("evidence") or [])]
    merged["evidence"] = [*(own.get("evidence") or []), *inherited_evidence]
    merged["inherited"] = [
        *(own.get("inherited") or []),
        {**(inherited_from or {}), "status": inherited.get("status")},
    ]
    return merged


def publisher_terms_verdict(
    origin: str | None, registry: PublisherRegistry | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The registered reuse terms of the publisher ``origin`` names, as a verdict, or None."""
    if not origin:
        return None
    publisher = (registry or load_publishers()).match_name(origin)
    if publisher is None or publisher.terms is None:
        return None
    verdict = {
        "status": publisher.terms.status,
        "credit": publisher.name,
        "requires_link": publisher.terms.status == "attribution_required",
        "evidence": [
            {
                "rule_id": f"publisher_terms:{publisher.id}",
                "kind": "publisher_terms",
                "status": publisher.terms.status,
                "text": publisher.terms.basis or "",
                "scope": "meta",
                "start": 0,
                "end": 0,
                "confidence": 0.8,
            }
        ],
    }
    where = {
        "publisher": publisher.id,
        "name": publisher.name,
        "terms_url": publisher.terms.url,
        "basis": publisher.terms.basis,
    }
    return verdict, where


def reprint_chain(session: Session, article: Article) -> list[Article]:
    """The articles ``article`` reprints, nearest first, up to the original (loops are cut)."""
    chain: list[Article] = []
    seen = {article.id}
    current = article
    while current.reprint_of_id and current.reprint_of_id not in seen:
        original = session.get(Article, current.reprint_of_id)
        if original is None:
            break
        seen.add(original.id)
        chain.append(original)
        current = original
    return chain


def own_verdict(article: Article) -> dict[str, Any]:
    """The page's own verdict as stored; the status and conflict columns (what the engine and
    recheck write beside the JSON) are the authority when the two disagree."""
    own = dict(article.rights) if isinstance(article.rights, dict) else {"evidence": []}
    own["status"] = article.rights_status or own.get("status") or "unknown"
    own["conflict"] = bool(article.rights_conflict or own.get("conflict"))
    return own


def effective_rights_in(
    session: Session, article: Article, registry: PublisherRegistry | None = None
) -> dict[str, Any]:
    rights = own_verdict(article)
    # Each original's rights are carried by its copies.
    for original in reprint_chain(session, article):
        rights = combine_rights(
            rights,
            own_verdict(original),
            {
                "article_id": original.id,
                "url": original.url,
                "source": original.source,
                "title": original.title,
                "via": "reprint_of",
            },
        )
    terms = publisher_terms_verdict(article.origin or rights.get("origin"), registry)
    if terms is not None:
        verdict, where = terms
        rights = combine_rights(rights, verdict, {**where, "via": "publisher_terms"})
    return rights


def effective_rights(
    db: Database | Session, article: Article | int, registry: PublisherRegistry | None = None
) -> dict[str, Any]:
    """The rights that apply to reusing ``article``: its own verdict combined with those of
    the article it reprints (transitively) and its credited publisher's registered terms."""
    if isinstance(db, Session):
        target = db.get(Article, article) if isinstance(article, int) else article
        if target is None:
            raise LookupError(f"article {article} does not exist")
        return effective_rights_in(db, target, registry)
    with db.session() as session:
        target = session.get(Article, article if isinstance(article, int) else article.id)
        if target is None:
            raise LookupError(f"article {article} does not exist")
        return effective_rights_in(session, target, registry)
