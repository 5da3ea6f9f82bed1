"""What the demo crawl stored, in a few numbers and examples worth looking at."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from brwatch.attribution import PublisherRegistry, load_publishers
from brwatch.provenance.rights import effective_rights_in
from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES


@dataclass(frozen=True)
class StoredArticle:
    source: str
    title: str
    url: str
    lang: str | None
    relevant: bool
    rights_status: str | None  # the page's own verdict (what the review queue flags)
    reuse_status: str | None  # what applies to reuse: with the original's and publisher's terms
    origin: str | None
    attribution_link: str | None
    reprint_of: str | None  # the title of the article this one reprints
    reprint_of_source: str | None
    conflict: bool

    @property
    def flagged(self) -> bool:
        return (
            self.rights_status in FLAGGED_STATUSES
            or self.conflict
            or self.attribution_link in FLAGGED_LINKS
        )


@dataclass
class DemoSummary:
    articles: list[StoredArticle] = field(default_factory=list)

    @property
    def relevant(self) -> list[StoredArticle]:
        return [a for a in self.articles if a.relevant]

    @property
    def by_status(self) -> Counter[str]:
        """Rights that apply to reuse, as `brwatch export` reports them."""
        return Counter(a.reuse_status or "no verdict" for a in self.articles)

    @property
    def by_link(self) -> Counter[str]:
        """Attribution link outcomes of the articles that credit an origin."""
        return Counter(a.attribution_link for a in self.articles if a.attribution_link)

    @property
    def by_source(self) -> Counter[str]:
        return Counter(a.source for a in self.articles)

    @property
    def flagged(self) -> list[StoredArticle]:
        return [a for a in self.articles if a.flagged]

    @property
    def reprints(self) -> list[StoredArticle]:
        return [a for a in self.articles if a.reprint_of]


def summarize(db: Database) -> DemoSummary:
    original = aliased(Article)
    query = (
        select(Article, original.title, original.source)
        .outerjoin(original, Article.reprint_of_id == original.id)
        .order_by(Article.source, Article.id)
    )
    registry = load_publishers()
    with db.session() as session:
        rows = session.execute(query).all()
        return DemoSummary(
            [
                StoredArticle(
                    source=article.source,
                    title=article.title or article.url,
                    url=article.url,
                    lang=article.lang,
                    relevant=bool(article.relevant),
                    rights_status=article.rights_status,
                    reuse_status=_reuse_status(session, article, registry),
                    origin=article.origin,
                    attribution_link=article.attribution_link,
                    reprint_of=_reprint_label(article, original_title),
                    reprint_of_source=original_source,
                    conflict=bool(article.rights_conflict),
                )
                for article, original_title, original_source in rows
            ]
        )


def _reuse_status(session: Session, article: Article, registry: PublisherRegistry) -> str | None:
    if article.rights is None:  # no verdict stored (no rights engine at crawl time)
        return None
    return effective_rights_in(session, article, registry).get("status")


def _reprint_label(article: Article, original_title: str | None) -> str | None:
    if article.reprint_of_id is None:
        return None
    return original_title or f"article #{article.reprint_of_id}"
