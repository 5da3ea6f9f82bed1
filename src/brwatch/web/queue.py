"""The review queue as a query: which articles are flagged, filtered, sorted, counted and paged.

The page, the JSON API and bulk decisions all select through `QueueFilters`, so "decide on
everything matching these filters" means exactly what the editor sees.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from brwatch.storage.models import Article

FLAG_STATUSES = ("prohibited", "permission_required", "attribution_required")
LINK_PROBLEMS = ("missing", "broken", "wrong_target")
REVIEW_STATES = (
    "pending",
    "cleared",
    "reuse_with_attribution",
    "do_not_reuse",
    "permission_requested",
    "permission_granted",
)
SortKey = Literal["newest", "oldest", "published", "source", "status"]
_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Article.fetched_at.desc(), Article.id.desc()),
    "oldest": (Article.fetched_at.asc(), Article.id.asc()),
    "published": (Article.published.desc(), Article.id.desc()),
    "source": (Article.source.asc(), Article.fetched_at.desc(), Article.id.desc()),
    "status": (Article.rights_status.asc(), Article.fetched_at.desc(), Article.id.desc()),
}
# Only the columns the list shows: the queue never loads texts, verdicts or snapshots.
LIST_COLUMNS = (
    Article.id,
    Article.title,
    Article.url,
    Article.source,
    Article.lang,
    Article.published,
    Article.fetched_at,
    Article.rights_status,
    Article.rights_conflict,
    Article.attribution_link,
    Article.review_state,
    Article.review_version,
)


def flagged_clause() -> ColumnElement[bool]:
    return or_(
        Article.rights_status.in_(FLAG_STATUSES),
        Article.rights_conflict.is_(True),
        Article.attribution_link.in_(LINK_PROBLEMS),
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None  # one of FLAG_STATUSES
    link: str | None = None  # one of LINK_PROBLEMS
    conflict: bool | None = None
    review: str | None = "pending"  # one of REVIEW_STATES, or None for any
    source: str | None = None
    lang: str | None = None
    since: date | None = None  # published on or after
    until: date | None = None  # published on or before
    q: str | None = None  # words in the title
    include_irrelevant: bool = False
    sort: str = "newest"
    page: int = 1
    per_page: int = 50

    def clauses(self, *, skip: str | None = None) -> list[ColumnElement[bool]]:
        """WHERE clauses; skip="facets" leaves out status, link and review (counted per value)."""
        clauses: list[ColumnElement[bool]] = [flagged_clause()]
        if not self.include_irrelevant:
            clauses.append(Article.relevant.is_(True))
        facets = skip == "facets"
        if self.status and not facets:
            clauses.append(Article.rights_status == self.status)
        if self.link and not facets:
            clauses.append(Article.attribution_link == self.link)
        if self.conflict is not None:
            clauses.append(Article.rights_conflict.is_(self.conflict))
        if self.review and not facets:
            clauses.append(Article.review_state == self.review)
        if self.source:
            clauses.append(Article.source == self.source)
        if self.lang:
            clauses.append(Article.lang == self.lang)
        if self.since:
            clauses.append(Article.published >= _day_start(self.since))
        if self.until:
            clauses.append(Article.published < _day_start(self.until + timedelta(days=1)))
        if self.q:
            clauses.append(Article.title.ilike(f"%{self.q.strip()}%"))
        return clauses

    def params(self) -> dict[str, Any]:
        """The filters as query parameters (empty values left out), for links and forms."""
        values = asdict(self)
        values.pop("page")
        if values["per_page"] == QueueFilters.per_page:
            values.pop("per_page")
        if values["review"] is None:
            values["review"] = "any"
        if values["conflict"] is not None:
            values["conflict"] = "yes" if values["conflict"] else "no"
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in values.items()
            if v not in (None, "", False)
        }


@dataclass(frozen=True)
class QueuePage:
    filters: QueueFilters
    rows: list[Any]
    total: int
    by_status: dict[str, int]
    by_review: dict[str, int]
    by_link: dict[str, int]
    conflicts: int
    sources: list[str]
    languages: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filters.per_page))


def _facet_counts(session: Session, filters: QueueFilters) -> dict[tuple[str, str, str, bool], int]:
    """Counts per (review state, rights status, link outcome, conflict) in one index-only scan.

    The facet filters (status, link, review) are left out of the SQL, so each facet's counts can
    be summed in Python over the other two; one pass replaces four GROUP BY scans.
    """
    clauses = filters.clauses(skip="facets")
    key = (
        Article.review_state,
        Article.rights_status,
        Article.attribution_link,
        Article.rights_conflict,
    )
    query = select(*key, func.count()).where(*clauses).group_by(*key)
    return {(r, s or "", link or "", bool(c)): n for r, s, link, c, n in session.execute(query)}


def _page_rows(session: Session, filters: QueueFilters) -> list[Any]:
    """One page of rows: ids first from the covering index, then only those rows' columns.

    Sorting and skipping (deep pages) then never touch the wide article rows.
    """
    ids = list(
        session.scalars(
            select(Article.id)
            .where(*filters.clauses())
            .order_by(*_SORTS[filters.sort])
            .limit(filters.per_page)
            .offset((filters.page - 1) * filters.per_page)
        )
    )
    if not ids:
        return []
    rows = {
        row.id: row for row in session.execute(select(*LIST_COLUMNS).where(Article.id.in_(ids)))
    }
    return [rows[i] for i in ids if i in rows]


def load_queue(session: Session, filters: QueueFilters) -> QueuePage:
    rows = _page_rows(session, filters)
    groups = _facet_counts(session, filters)
    wanted = {"review": filters.review, "status": filters.status, "link": filters.link}

    def tally(facet: str) -> dict[str, int]:
        """Counts by one facet's values, with the other facets' chosen values applied."""
        counts: dict[str, int] = {}
        for (review, status, link, _), n in groups.items():
            values = {"review": review, "status": status, "link": link}
            if all(wanted[f] in (None, values[f]) for f in wanted if f != facet) and values[facet]:
                counts[values[facet]] = counts.get(values[facet], 0) + n
        return counts

    by_review = tally("review")
    matching = {
        key: n
        for key, n in groups.items()
        if all(w in (None, v) for w, v in zip(wanted.values(), key[:3], strict=True))
    }
    return QueuePage(
        filters=filters,
        rows=rows,
        total=sum(matching.values()),
        by_status={k: v for k, v in tally("status").items() if k in FLAG_STATUSES},
        by_review=by_review,
        by_link={k: v for k, v in tally("link").items() if k in LINK_PROBLEMS},
        conflicts=sum(n for key, n in matching.items() if key[3]),
        sources=list(session.scalars(select(Article.source).distinct().order_by(Article.source))),
        languages=[
            lang
            for lang in session.scalars(select(Article.lang).distinct().order_by(Article.lang))
            if lang
        ],
    )


def matching_ids(session: Session, filters: QueueFilters, limit: int) -> list[int]:
    query = (
        select(Article.id).where(*filters.clauses()).order_by(*_SORTS[filters.sort]).limit(limit)
    )
    return list(session.scalars(query))


def neighbours(
    session: Session, filters: QueueFilters, article_id: int
) -> tuple[int | None, int | None]:
    """The previous and next item in the queue around this one (for j/k on the item page)."""
    ids = matching_ids(session, filters, limit=5000)
    if article_id not in ids:
        return (None, ids[0] if ids else None)
    index = ids.index(article_id)
    return (ids[index - 1] if index > 0 else None, ids[index + 1] if index + 1 < len(ids) else None)
