"""Running the gate for a URL and a draft: find (or fetch) the article, gather its grants,
decide, and record the decision — all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from brwatch.attribution.identities import publisher_directory
from brwatch.attribution.registry import PublisherRegistry
from brwatch.document import FetchedPage, parse_document
from brwatch.errors import BrwatchError
from brwatch.fetch import FetchError, SafeFetcher
from brwatch.provenance.links import find_article
from brwatch.provenance.reuse import refresh_stale
from brwatch.provenance.rights import combine_rights, publisher_terms_verdict
from brwatch.reuse.coverage import stored_facts
from brwatch.reuse.draft import Draft
from brwatch.reuse.gate import ArticleFacts, GateResult, article_urls, gate, grant_keys
from brwatch.reuse.grants import grants_for
from brwatch.storage import Database
from brwatch.storage.models import GateDecision


class ReuseError(BrwatchError, RuntimeError):
    """The gate cannot decide (unknown article that cannot be fetched, …); nothing is recorded."""


def fetched_facts(
    url: str, fetcher: SafeFetcher | None = None, registry: PublisherRegistry | None = None
) -> ArticleFacts:
    """Fetch an article that is not stored, through the safe fetcher, and judge it now."""
    try:
        response = (fetcher or SafeFetcher()).get(url)
    except FetchError as exc:
        raise ReuseError(
            f"article {url} is not in the database and cannot be fetched: {exc.reason}"
        ) from exc
    if response.status != 200:
        raise ReuseError(
            f"article {url} is not in the database and fetching it gave HTTP {response.status}"
        )
    from brwatch.extract import extract_article  # the rights engine reads what extraction found
    from brwatch.rights import verdict_for

    page = FetchedPage(url=response.final_url, body=response.body, headers=response.headers)
    doc = parse_document(page)
    try:
        extracted: Any = extract_article(doc)
    except Exception:  # extraction is a help for the verdict, not a requirement
        extracted = None
    rights = verdict_for(doc, extracted).to_dict()
    terms = publisher_terms_verdict(rights.get("origin"), registry)
    if terms is not None:
        rights = combine_rights(rights, terms[0], {**terms[1], "via": "publisher_terms"})
    return ArticleFacts(
        url=url,
        canonical_url=getattr(extracted, "canonical_url", None) or response.final_url,
        rights=rights,
        origin=rights.get("origin"),
        title=getattr(extracted, "title", None),
        site_name=getattr(extracted, "site_name", None),
        stored=False,
    )


def check_reuse(
    db: Database,
    article_url: str,
    draft: Draft,
    *,
    fetcher: SafeFetcher | None = None,
    user: str | None = None,
    registry: PublisherRegistry | None = None,
    at: datetime | None = None,
) -> GateResult:
    """Decide on ``draft`` as a reuse of the article at ``article_url`` and record the decision."""
    with db.session() as session:
        # Registered publishers and the crawled sources' learned identities: a credit the
        # article demands is named whatever kind of publisher it is owed to.
        registry = registry or publisher_directory(session)
        refresh_stale(session, registry)
        article = find_article(session, article_url)
        facts = stored_facts(session, article, registry) if article is not None else None
    if facts is None:
        facts = fetched_facts(article_url, fetcher, registry)
    with db.session() as session:
        grants = grants_for(
            session, grant_keys(facts, registry), [article_url, *article_urls(facts)]
        )
        result = gate(facts, draft, grants, registry=registry, at=at or datetime.now(UTC))
        session.add(
            GateDecision(
                decided_at=result.decided_at,
                article_url=article_url,
                article_id=facts.article_id,
                draft_sha256=draft.sha256,
                outcome=result.outcome,
                reasons=[r.to_dict() for r in result.reasons],
                grant_id=result.grant_id,
                user=user,
            )
        )
    return result
