"""`brwatch rules unmatched`: the rights-like sentences no rule matched, across the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from brwatch.storage import Database
from brwatch.storage.models import Article

_BATCH = 500


@dataclass(frozen=True, slots=True)
class UnmatchedSentence:
    text: str
    articles: int
    scopes: tuple[str, ...]
    example_url: str


def frequent_unmatched(db: Database, limit: int = 20) -> list[UnmatchedSentence]:
    """The most frequent unmatched sentences (same words, case and spacing aside), with how many
    articles carry each, where on the page, and one article's URL."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    scopes: dict[str, set[str]] = {}
    example: dict[str, str] = {}
    query = (
        select(Article.url, Article.rights)
        .where(Article.rights_unmatched.is_(True))
        .execution_options(yield_per=_BATCH)
    )
    with db.session() as session:
        for url, rights in session.execute(query):
            seen: set[str] = set()
            for item in (rights or {}).get("evidence") or []:
                if item.get("kind") != "unmatched":
                    continue
                key = " ".join(str(item.get("text", "")).casefold().split())
                if not key or key in seen:
                    continue
                seen.add(key)
                counts[key] += 1
                shown.setdefault(key, " ".join(str(item["text"]).split()))
                scopes.setdefault(key, set()).add(str(item.get("scope")))
                example.setdefault(key, url)
    return [
        UnmatchedSentence(shown[key], n, tuple(sorted(scopes[key])), example[key])
        for key, n in counts.most_common(limit)
    ]
