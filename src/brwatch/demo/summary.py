"""What the demo crawl stored, in a few numbers and examples worth looking at."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

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
    rights_status: str | None
    origin: str | None
    attribution_link: str | None
    reprint_of: str | None  # the title of the article this one reprints
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
        return Counter(a.rights_status or "no verdict" for a in self.articles)

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
        select(Article, original.title)
        .outerjoin(original, Article.reprint_of_id == original.id)
        .order_by(Article.source, Article.id)
    )
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
                    origin=article.origin,
                    attribution_link=article.attribution_link,
                    reprint_of=_reprint_label(article, original_title),
                    conflict=bool(article.rights_conflict),
                )
                for article, original_title in rows
            ]
        )


def _reprint_label(article: Article, original_title: str | None) -> str | None:
    if article.reprint_of_id is None:
        return None
    return original_title or f"article #{article.reprint_of_id}"
