"""Whether a permission grant covers a stored article, now or at a given moment.

One rule for the reuse gate, review decisions ("permission granted") and reports: a grant covers
an article when it is in force (started, not ended, not revoked) and names the article (scope
"article", by URL) or one of the article's rights holders (scope "all": its credited origin,
named rights holder, or the site it, or the original it reprints, is on; see
``gate.grant_keys``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from brwatch.attribution.registry import PublisherRegistry, load_publishers
from brwatch.provenance.rights import reprint_chain
from brwatch.reuse.gate import ArticleFacts, article_urls, grant_keys, rights_holders
from brwatch.reuse.grants import grants_for, is_active
from brwatch.storage.models import Article, Grant


def stored_facts(session: Session, article: Article, registry: PublisherRegistry) -> ArticleFacts:
    """What the gate knows of a stored article: its stored reuse verdict (kept current by
    brwatch.provenance.reuse), its URLs and the original it reprints."""
    chain = reprint_chain(session, article)
    original_url = (chain[-1].canonical_url or chain[-1].url) if chain else None
    rights = article.reuse_rights or {"status": article.reuse_status or "unknown", "evidence": []}
    return ArticleFacts(
        url=article.url,
        canonical_url=article.canonical_url,
        rights=rights,
        origin=article.origin,
        original_url=original_url,
        review_state=article.review_state,
        article_id=article.id,
        title=article.title,
        site_name=article.site_name,
        stored=True,
    )


def grants_covering(
    session: Session, article: Article, registry: PublisherRegistry | None = None
) -> list[Grant]:
    """Every grant (in force or not) naming this article or one of its rights holders."""
    registry = registry or load_publishers()
    facts = stored_facts(session, article, registry)
    return grants_for(
        session, grant_keys(facts, registry), [facts.url, *article_urls(facts)], registry
    )


@dataclass(frozen=True)
class GrantProblem:
    """Why a grant cannot back a decision on an article: a code and the values to say it with.

    Codes: ``grant_missing``, ``grant_revoked``, ``grant_expired``, ``grant_not_yet_valid``,
    ``grant_not_covering``."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    return moment.astimezone(UTC).date().isoformat()


def lapse(grant: Grant, at: datetime) -> GrantProblem | None:
    """Why ``grant`` is not in force at ``at`` (None: it is)."""
    if grant.revoked_at is not None and grant.revoked_at <= at:
        return GrantProblem("grant_revoked", {"id": grant.id, "date": _day(grant.revoked_at)})
    if is_active(grant, at):
        return None
    if grant.valid_from is not None and at < grant.valid_from:
        return GrantProblem("grant_not_yet_valid", {"id": grant.id, "date": _day(grant.valid_from)})
    return GrantProblem("grant_expired", {"id": grant.id, "date": _day(grant.valid_to)})


def grant_problem(
    session: Session,
    grant_id: int,
    article: Article,
    *,
    at: datetime | None = None,
    registry: PublisherRegistry | None = None,
) -> GrantProblem | None:
    """Why grant ``grant_id`` cannot back "permission granted" on ``article`` (None: it can)."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        return GrantProblem("grant_missing", {"id": grant_id})
    lapsed = lapse(grant, at or datetime.now(UTC))
    if lapsed is not None:
        return lapsed
    registry = registry or load_publishers()
    if any(g.id == grant.id for g in grants_covering(session, article, registry)):
        return None
    facts = stored_facts(session, article, registry)
    holders = [p.name for p in rights_holders(facts, registry)]
    names = holders or [n for n in (facts.origin, facts.rights.get("credit")) if n]
    return GrantProblem(
        "grant_not_covering",
        {"id": grant.id, "publisher": grant.publisher, "holders": ", ".join(names) or "?"},
    )
