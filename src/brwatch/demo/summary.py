"""What the demo crawl stored, in a few numbers and examples worth looking at."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from brwatch.provenance.reuse import refresh_stale
from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.storage.states import is_flagged


@dataclass(frozen=True)
class StoredArticle:
    source: str
    title: str
    url: str
    lang: str | None
    relevant: bool
    rights_status: str | None  # the page's own verdict
    reuse_status: str | None  # the stored reuse verdict: what every surface shows and counts
    origin: str | None
    attribution_link: str | None
    reprint_of: str | None  # the title of the article this one reprints
    reprint_of_source: str | None
    conflict: bool  # the reuse verdict's
    unmatched: bool
    inherited: tuple[str, ...] = ()  # where the reuse verdict's inherited parts come from

    @property
    def flagged(self) -> bool:
        """In the review queue (which lists relevant articles only)."""
        return self.relevant and is_flagged(
            self.reuse_status, self.conflict, self.unmatched, self.attribution_link
        )


@dataclass
class DemoSummary:
    articles: list[StoredArticle] = field(default_factory=list)

    @property
    def relevant(self) -> list[StoredArticle]:
        return [a for a in self.articles if a.relevant]

    @property
    def by_status(self) -> Counter[str]:
        """Reuse verdicts of the relevant articles: what export, the queue and reports count."""
        return Counter(a.reuse_status or "no verdict" for a in self.relevant)

    @property
    def by_link(self) -> Counter[str]:
        """Attribution link outcomes of the relevant articles that credit an origin."""
        return Counter(a.attribution_link for a in self.relevant if a.attribution_link)

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
    refresh_stale(db)
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
                    reuse_status=article.reuse_status,
                    origin=article.origin,
                    attribution_link=article.attribution_link,
                    reprint_of=_reprint_label(article, original_title),
                    reprint_of_source=original_source,
                    conflict=bool(article.reuse_conflict),
                    unmatched=bool(article.rights_unmatched),
                    inherited=_inherited(article),
                )
                for article, original_title, original_source in rows
            ]
        )


def _inherited(article: Article) -> tuple[str, ...]:
    parts = (article.reuse_rights or {}).get("inherited") or []
    return tuple(
        f"{part.get('name') or part.get('publisher')} terms"
        if part.get("via") == "publisher_terms"
        else f"original ({part.get('source') or '?'})"
        for part in parts
        if isinstance(part, dict) and part.get("status") not in (None, "unknown")
    )


def _reprint_label(article: Article, original_title: str | None) -> str | None:
    if article.reprint_of_id is None:
        return None
    return original_title or f"article #{article.reprint_of_id}"
