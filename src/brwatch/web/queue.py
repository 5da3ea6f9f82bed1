"""The review queue as a query: which articles are flagged, filtered, sorted, counted and paged.

The page, the JSON API and bulk decisions all select through `QueueFilters`, so "decide on
everything matching these filters" means exactly what the editor sees. Status and conflict are
the stored reuse verdict's (brwatch.provenance.reuse), as everywhere else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ARRAY, ColumnElement, Text, cast, false, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session
from sqlalchemy.sql import column, table

from brwatch.provenance.reuse import refresh_stale
from brwatch.storage.flagged import flagged_clause
from brwatch.storage.models import TITLE_FTS_TABLE, Article, QueueCount
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES

SortKey = Literal["newest", "oldest", "published", "source", "status"]
_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Article.fetched_at.desc(), Article.id.desc()),
    "oldest": (Article.fetched_at.asc(), Article.id.asc()),
    "published": (Article.published.desc(), Article.id.desc()),
    "source": (Article.source.asc(), Article.fetched_at.desc(), Article.id.desc()),
    "status": (Article.reuse_status.asc(), Article.fetched_at.desc(), Article.id.desc()),
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
    Article.reuse_status,
    Article.reuse_conflict,
    Article.rights_status,
    Article.rights_unmatched,
    Article.attribution_link,
    Article.review_state,
    Article.review_version,
)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# Counts that must read the articles themselves (dates or title words among the filters) stop
# here: the queue then shows "more than" this many and no facet counts, and answers in about
# the same time for a word in every title as for a rare one.
COUNT_LIMIT = 1_000

# The SQLite FTS5 trigram index over titles (created by the migration when SQLite has it).
_title_fts = table(TITLE_FTS_TABLE, column("rowid"))
# Off only to time the old full scan (benchmarks/web.py).
use_title_index = True


def _sqlite_title_index(session: Session) -> bool:
    """Whether this SQLite database has the title index (a catalogue lookup, microseconds)."""
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": TITLE_FTS_TABLE},
    )
    return found.first() is not None


def like_literal(words: str) -> str:
    """`words` for a LIKE pattern with ESCAPE '\\': `%`, `_` and `\\` match only themselves."""
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def title_clauses(
    session: Session, words: str, *, indexed: bool = True
) -> list[ColumnElement[bool]]:
    """Titles containing `words`, case-insensitively (ASCII on SQLite, as LIKE does); every
    character is taken literally (`%` and `_` are no wildcards).

    The LIKE decides what matches, everywhere. PostgreSQL answers it from the pg_trgm index by
    itself; for words of one or two characters (too short for trigrams) a GIN index of every
    one- and two-character piece of the lowercased titles narrows first (migration 0007). On
    SQLite an FTS5 trigram phrase query first narrows to titles holding the same
    letters in a row (with Unicode case folding, so a superset of what LIKE accepts); words of
    one or two characters go through the trigrams they begin (_short_word_terms).
    `indexed=False` leaves that out: for words in many titles the first page comes sooner
    from the sort's index, reading titles in the queue's order until a page is full, than
    from every matching title sorted.
    """
    clauses: list[ColumnElement[bool]] = [
        Article.title.ilike(f"%{like_literal(words)}%", escape="\\")
    ]
    dialect = session.get_bind().dialect.name
    if indexed and use_title_index and dialect == "postgresql" and len(words) < 3:
        folded = _caseless_lower(words)
        if folded is not None:
            grams = func.brwatch_title_grams(Article.title)
            clauses.append(grams.op("@>")(cast(array([folded]), ARRAY(Text))))
        return clauses
    if not (indexed and use_title_index and dialect == "sqlite" and _sqlite_title_index(session)):
        return clauses
    if len(words) >= 3:
        phrase = _fts_phrase(words)
    else:
        terms = _short_word_terms(session, words)
        if terms is None:
            return clauses
        if not terms:
            return [*clauses, false()]
        phrase = " OR ".join(_fts_phrase(term) for term in terms)
    # A join, not `id IN (...)`: the matches stream from the index, so a query that stops
    # early (a page, a capped count) never gathers every title holding a common word.
    return [
        *clauses,
        literal_column(TITLE_FTS_TABLE).op("MATCH")(phrase),
        Article.id == _title_fts.c.rowid,
    ]


def _fts_phrase(words: str) -> str:
    return '"' + words.replace('"', '""') + '"'


# Words of one or two characters are looked up through the indexed trigrams they begin (every
# title is indexed with two U+0003 after it, migration 0007, so every character begins one);
# beyond this many such trigrams (a Latin letter on its own) the LIKE alone reads titles in the
# queue's order, which fills a page sooner than an OR of them all.
SHORT_WORD_TERMS = 64


def _caseless_lower(words: str) -> str | None:
    """`words` lowercased, where every index and LIKE agree on what that is: letters A-Z and
    characters without case (Chinese, digits); None for any other letter."""
    if not all(c.isascii() or c.lower() == c.upper() for c in words):
        return None
    return words.lower()


def _short_word_terms(session: Session, words: str) -> list[str] | None:
    """The indexed trigrams beginning with `words` (None: use no index; the index folds case
    with Unicode's rules and LIKE only A-Z, so other letters read the titles)."""
    folded = _caseless_lower(words)
    if folded is None:
        return None
    terms = session.scalars(
        text(
            f"SELECT term FROM {TITLE_FTS_TABLE}_terms WHERE term >= :low AND term < :high"
            " LIMIT :most"
        ),
        {"low": folded, "high": folded + "\U0010ffff", "most": SHORT_WORD_TERMS + 1},
    ).all()
    return None if len(terms) > SHORT_WORD_TERMS else list(terms)


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None  # one of FLAGGED_STATUSES
    link: str | None = None  # one of FLAGGED_LINKS
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

    def clauses(
        self, session: Session, *, skip: str | None = None, title_index: bool = True
    ) -> list[ColumnElement[bool]]:
        """WHERE clauses; skip="facets" leaves out status, link and review (counted per value);
        title_index: see title_clauses."""
        clauses = self.facet_clauses(Article)
        facets = skip == "facets"
        if self.status and not facets:
            clauses.append(Article.reuse_status == self.status)
        if self.link and not facets:
            clauses.append(Article.attribution_link == self.link)
        if self.review and not facets:
            clauses.append(Article.review_state == self.review)
        if self.since:
            clauses.append(Article.published >= _day_start(self.since))
        if self.until:
            clauses.append(Article.published < _day_start(self.until + timedelta(days=1)))
        if self.q:
            clauses.extend(title_clauses(session, self.q.strip(), indexed=title_index))
        return clauses

    def facet_clauses(self, columns: Any) -> list[ColumnElement[bool]]:
        """The filters on the columns `queue_counts` keeps too (`columns`: Article or
        QueueCount), beside the facets themselves."""
        clauses: list[ColumnElement[bool]] = [flagged_clause(columns)]
        if not self.include_irrelevant:
            clauses.append(columns.relevant.is_(True))
        if self.conflict is not None:
            clauses.append(columns.reuse_conflict.is_(self.conflict))
        if self.source:
            clauses.append(columns.source == self.source)
        if self.lang:
            clauses.append(columns.lang == self.lang)
        return clauses

    @property
    def counted_per_article(self) -> bool:
        """Whether the counts need the articles themselves: dates and titles are not among
        the columns `queue_counts` keeps."""
        return bool(self.q or self.since or self.until)

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
    # More than COUNT_LIMIT items matched dates or title words: `total` is COUNT_LIMIT (or the
    # exact total when only the facets' counts were over it) and the facets are not counted.
    counts_capped: bool = False
    total_capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filters.per_page))


def _page_rows(session: Session, filters: QueueFilters, *, many: bool = False) -> list[Any]:
    """One page of rows: ids first from the covering index, then only those rows' columns.

    Sorting and skipping (deep pages) then never touch the wide article rows. `many`: the
    title words are in more than COUNT_LIMIT titles (see title_clauses).
    """
    ids = list(
        session.scalars(
            select(Article.id)
            .where(*filters.clauses(session, title_index=not many))
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


@dataclass
class _Tally:
    by_status: dict[str, int] = field(default_factory=dict)
    by_review: dict[str, int] = field(default_factory=dict)
    by_link: dict[str, int] = field(default_factory=dict)
    total: int = 0
    conflicts: int = 0


def _facet_groups(session: Session, filters: QueueFilters) -> list[Any] | None:
    """(review state, status, link, conflict, how many) for the articles matching every filter
    but the facets. From `queue_counts` (a few hundred rows, kept by triggers) unless the
    filters look at dates or titles; then from the articles, at most COUNT_LIMIT of them
    (None: more matched, the facets are not counted)."""
    if not filters.counted_per_article:
        keys = (
            QueueCount.review_state,
            QueueCount.reuse_status,
            QueueCount.attribution_link,
            QueueCount.reuse_conflict,
        )
        query = select(*keys, func.sum(QueueCount.n)).where(*filters.facet_clauses(QueueCount))
        return list(session.execute(query.group_by(*keys)))
    matching = (
        select(
            Article.review_state,
            Article.reuse_status,
            Article.attribution_link,
            Article.reuse_conflict,
        )
        .where(*filters.clauses(session, skip="facets"))
        .limit(COUNT_LIMIT + 1)
        .subquery()
    )
    columns = tuple(matching.c)
    groups = list(session.execute(select(*columns, func.count()).group_by(*columns)))
    return None if sum(n for *_, n in groups) > COUNT_LIMIT else groups


def _capped_total(session: Session, filters: QueueFilters) -> int:
    """How many articles match every filter, counting no further than COUNT_LIMIT + 1."""
    matching = select(Article.id).where(*filters.clauses(session)).limit(COUNT_LIMIT + 1)
    return session.scalar(select(func.count()).select_from(matching.subquery())) or 0


def _tally(filters: QueueFilters, groups: list[Any]) -> _Tally:
    """Every facet's counts: each status and link value with the other facet's choice
    applied, so every count shows what choosing that value would give."""
    tally = _Tally()
    for state, status, link, conflict, n in groups:
        n = int(n or 0)
        if not n:
            continue
        status_ok = not filters.status or status == filters.status
        link_ok = not filters.link or link == filters.link
        if status_ok and link_ok:
            tally.by_review[state] = tally.by_review.get(state, 0) + n
        if filters.review not in (None, state):
            continue
        if link_ok and status in FLAGGED_STATUSES:
            tally.by_status[status] = tally.by_status.get(status, 0) + n
        if status_ok and link in FLAGGED_LINKS:
            tally.by_link[link] = tally.by_link.get(link, 0) + n
        if status_ok and link_ok:
            tally.total += n
            tally.conflicts += n if conflict else 0
    return tally


def load_queue(session: Session, filters: QueueFilters) -> QueuePage:
    """One page of rows plus every facet's counts.

    The facet filters (status, link, review) stay out of the counting query, which groups by
    them; the tally then applies each facet's choice to the others' counts.
    """
    refresh_stale(session)
    groups = _facet_groups(session, filters)
    if groups is not None:
        tally = _tally(filters, groups)
        total_capped = False
    else:
        counted = _capped_total(session, filters)
        tally = _Tally(total=min(counted, COUNT_LIMIT))
        total_capped = counted > COUNT_LIMIT
    present = QueueCount.n > 0
    return QueuePage(
        filters=filters,
        rows=_page_rows(session, filters, many=groups is None),
        total=tally.total,
        by_status=tally.by_status,
        by_review=tally.by_review,
        by_link=tally.by_link,
        conflicts=tally.conflicts,
        sources=list(
            session.scalars(
                select(QueueCount.source).where(present).distinct().order_by(QueueCount.source)
            )
        ),
        languages=list(
            session.scalars(
                select(QueueCount.lang)
                .where(present, QueueCount.lang != "")
                .distinct()
                .order_by(QueueCount.lang)
            )
        ),
        counts_capped=groups is None,
        total_capped=total_capped,
    )


def matching_ids(session: Session, filters: QueueFilters, limit: int) -> list[int]:
    refresh_stale(session)
    query = (
        select(Article.id)
        .where(*filters.clauses(session))
        .order_by(*_SORTS[filters.sort])
        .limit(limit)
    )
    return list(session.scalars(query))


def matching_versions(session: Session, filters: QueueFilters, limit: int) -> list[tuple[int, int]]:
    """(id, review version) of every item matching the filters, in the queue's order."""
    refresh_stale(session)
    query = (
        select(Article.id, Article.review_version)
        .where(*filters.clauses(session))
        .order_by(*_SORTS[filters.sort])
        .limit(limit)
    )
    return [(ident, version) for ident, version in session.execute(query)]


def neighbours(
    session: Session, filters: QueueFilters, article_id: int
) -> tuple[int | None, int | None]:
    """The previous and next item in the queue around this one (for j/k on the item page)."""
    ids = matching_ids(session, filters, limit=5000)
    if article_id not in ids:
        return (None, ids[0] if ids else None)
    index = ids.index(article_id)
    return (ids[index - 1] if index > 0 else None, ids[index + 1] if index + 1 < len(ids) else None)
