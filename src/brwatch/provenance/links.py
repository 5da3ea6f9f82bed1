"""Linking reprints to their original and listing clusters of copies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import Connection, Table, or_, select, update
from sqlalchemy.orm import Session

from brwatch.attribution.identities import publisher_directory
from brwatch.attribution.registry import PublisherRegistry
from brwatch.provenance.index import (
    ReprintIndex,
    fingerprint_bytes,
    fingerprint_text,
    from_bytes,
    save_fingerprints,
    shared_index,
    values_from_bytes,
)
from brwatch.provenance.reuse import refresh_reuse
from brwatch.storage import Database
from brwatch.storage.models import Article, Fingerprint

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _FAR_FUTURE
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _published_key(article: _Member) -> tuple[datetime, datetime, int]:
    """Earliest first: publication date, then when we first saw it, then id."""
    return (_aware(article.published), _aware(article.first_seen_at), article.id)


class _Member(Protocol):
    """What choosing an original reads of a cluster member (an Article or a light row)."""

    # Read-only: an Article's columns (some never null) satisfy them as a light row's do.
    @property
    def id(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def origin(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def first_seen_at(self) -> datetime | None: ...
    @property
    def reprint_of_id(self) -> int | None: ...


_M = TypeVar("_M", bound=_Member)

# Choosing the original needs URLs, dates and origins, never the (long) texts. Core columns,
# run on the session's connection: no ORM objects or bookkeeping for rows only read.
# Typed as a FromClause by SQLAlchemy; a mapped class's __table__ is its Table (update needs one).
_ARTICLES = cast(Table, Article.__table__)
_FINGERPRINTS = Fingerprint.__table__
_MEMBER_COLUMNS = tuple(
    _ARTICLES.c[name]
    for name in (
        "id",
        "url",
        "canonical_url",
        "origin",
        "published",
        "first_seen_at",
        "reprint_of_id",
    )
)


_COPIES = _ARTICLES.alias("copies")
# Whether any article points at this one: only then must copies follow it to a new original.
_HAS_COPIES = (
    select(_COPIES.c.id)
    .where(_COPIES.c.reprint_of_id == _ARTICLES.c.id)
    .exists()
    .label("has_copies")
)


def _members(connection: Connection, ids: Iterable[int]) -> list[Any]:
    """Cluster members with their stored signatures (None: not fingerprinted)."""
    query = (
        select(*_MEMBER_COLUMNS, _HAS_COPIES, _FINGERPRINTS.c.minhash)
        .select_from(_ARTICLES.outerjoin(_FINGERPRINTS))
        .where(_ARTICLES.c.id.in_(list(ids)))
    )
    return list(connection.execute(query))


def _own_page(publisher: Any, member: _Member) -> bool:
    return publisher.owns_host(member.url) or publisher.owns_host(member.canonical_url or "")


def _credits_another(member: _Member, registry: PublisherRegistry) -> bool:
    """Whether a copy's own text credits a publisher whose site it is not on."""
    publisher = registry.match_name(member.origin) if member.origin else None
    return publisher is not None and not _own_page(publisher, member)


def choose_original_why(
    members: list[_M], claimed_origin: str | None, registry: PublisherRegistry
) -> tuple[_M, str]:
    """The original of a cluster and why (shown by `brwatch copies`).

    The claimed origin's own page when it is among the copies (registered publishers and the
    crawled sources alike: a copy saying "来源：丝路经济网" is never the original of 丝路经济网's
    page). Otherwise a copy crediting another publisher does not outrank one that credits no
    one; then the earliest published wins, then the first fetched.
    """
    # Each distinct claim once, in order: a cluster's copies mostly repeat the same origin.
    claims = dict.fromkeys([claimed_origin, *(m.origin for m in members)])
    for claim in claims:
        publisher = registry.match_name(claim) if claim else None
        if publisher is None:
            continue
        own_pages = [m for m in members if _own_page(publisher, m)]
        if own_pages:
            return min(own_pages, key=_published_key), f"claimed origin: {publisher.name}"
    uncredited = [m for m in members if not _credits_another(m, registry)]
    pool = uncredited or members
    original = min(pool, key=_published_key)
    others = [m for m in pool if m is not original]
    if others and all(_aware(m.published) == _aware(original.published) for m in others):
        return original, "first seen earliest (publication dates tie)"
    if len(pool) < len(members):
        return original, "earliest published among the copies that credit no other publisher"
    return original, "earliest published"


def choose_original(
    members: list[_M], claimed_origin: str | None, registry: PublisherRegistry
) -> _M:
    """The original of a cluster (see :func:`choose_original_why`)."""
    return choose_original_why(members, claimed_origin, registry)[0]


def link_reprints(
    db: Database,
    article_id: int,
    index: ReprintIndex | None = None,
    registry: PublisherRegistry | None = None,
    text: str | None = None,
) -> int | None:
    """Fingerprint a stored article, find its copies and point every copy at the original.

    ``text`` (title and body, as stored) spares reading the article back when the caller has it.
    Returns the original's id, or None when the article is the original or has no copies.
    """
    if text is None:
        with db.session() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise LookupError(f"article {article_id} does not exist")
            text = fingerprint_text(article.title, article.text)
    fingerprint = fingerprint_bytes(text)
    if fingerprint is None:
        return None
    return link_batch(db, {article_id: fingerprint}, index, registry)[article_id]


def link_batch(
    db: Database,
    fingerprints: Mapping[int, bytes],
    index: ReprintIndex | None = None,
    registry: PublisherRegistry | None = None,
    *,
    save: bool = True,
) -> dict[int, int | None]:
    """Store the signatures of freshly stored articles and link each to its cluster's original,
    in one transaction; returns each article's original (None: it is one, or has no copies).

    Sets ``reprint_of_id`` on the article and on the other members of its cluster (a newly
    found earlier copy, or the origin's own page, becomes the original of all of them). Works
    on signature values and light rows only, so a storing process needs neither datasketch nor
    ORM objects for it.
    """
    if not fingerprints:
        return {}
    index = index if index is not None else shared_index(db)
    originals: dict[int, int | None] = {}
    with db.session() as session:
        # Registered publishers and what the crawled sources are called (their own pages).
        registry = registry or publisher_directory(session)
        if save:  # (the crawl saves them with the articles, one transaction earlier)
            save_fingerprints(session, fingerprints)
        connection = session.connection()
        relinked: set[int] = set()
        for article_id, data in fingerprints.items():
            values = values_from_bytes(data)
            index.add_values(article_id, values)
            similar = [key for key, _ in index.similar_values(values, exclude=article_id)]
            members = _confirmed_members(connection, index, article_id, values, similar)
            relinked.update(member.id for member in members)
            originals[article_id] = _link_cluster(connection, article_id, members, registry)
            relinked.update(filter(None, [originals[article_id]]))
        # A copy inherits its original's rights: the reuse verdicts of every member (and of
        # every copy now following the original) change with the links, in this transaction.
        refresh_reuse(session, relinked, registry)
    return originals


def _confirmed_members(
    connection: Connection,
    index: ReprintIndex,
    article_id: int,
    values: np.ndarray,
    candidates: list[int],
) -> list[Any]:
    """The article and the candidates whose *stored* fingerprints are still similar. The
    in-memory index may lag behind the table (articles deleted or re-fingerprinted by another
    process); the table decides, and the index is corrected on the way."""
    rows = {row.id: row for row in _members(connection, [article_id, *candidates])}
    if article_id not in rows:
        raise LookupError(f"article {article_id} does not exist")
    members = [rows[article_id]]
    for key in candidates:
        row = rows.get(key)
        if row is None or row.minhash is None:
            index.remove(key)  # deleted since it was indexed
            continue
        current = values_from_bytes(row.minhash)
        if np.count_nonzero(current == values) / len(values) < index.threshold:
            index.add_values(key, current)  # the in-memory signature was stale
            continue
        members.append(row)
    return members


def _set_original(connection: Connection, where: Any, original_id: int | None) -> None:
    connection.execute(update(_ARTICLES).where(where).values(reprint_of_id=original_id))


def _link_cluster(
    connection: Connection, article_id: int, members: list[Any], registry: PublisherRegistry
) -> int | None:
    article = members[0]
    if len(members) == 1:
        if article.reprint_of_id is not None:
            _set_original(connection, _ARTICLES.c.id == article_id, None)
        return None
    # A copy already linked elsewhere brings its original into the cluster.
    root_ids = {m.reprint_of_id for m in members if m.reprint_of_id} - {m.id for m in members}
    if root_ids:
        members += _members(connection, root_ids)
    original = choose_original(members, article.origin, registry)
    # Every other member follows the original (most already do: only the rest are written),
    # and so does every copy pointing at a former original.
    moved = [m.id for m in members if m.id != original.id and m.reprint_of_id != original.id]
    if moved:
        _set_original(connection, _ARTICLES.c.id.in_(moved), original.id)
    former_roots = [m.id for m in members if m.id != original.id and m.has_copies]
    if former_roots:
        following = _ARTICLES.c.reprint_of_id.in_(former_roots) & (_ARTICLES.c.id != original.id)
        _set_original(connection, following, original.id)
    if original.reprint_of_id is not None:
        _set_original(connection, _ARTICLES.c.id == original.id, None)
    return None if original.id == article_id else original.id


def _url_variants(url: str) -> set[str]:
    """The spellings one article's URL commonly takes: scheme, www., trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.netloc or "").lower()
    bare = host.removeprefix("www.")
    path = parts.path.rstrip("/")
    rest = path + (f"?{parts.query}" if parts.query else "")
    variants = {url.strip()}
    for scheme in ("https", "http"):
        for netloc in (bare, f"www.{bare}"):
            variants |= {
                f"{scheme}://{netloc}{rest}",
                f"{scheme}://{netloc}{path}/" + (f"?{parts.query}" if parts.query else ""),
            }
    return variants


def find_article(session: Session, url: str) -> Article | None:
    """A stored article by URL or canonical URL, however the scheme, www. and trailing slash
    are written (an exact match wins)."""
    variants = _url_variants(url)
    candidates = session.scalars(
        select(Article)
        .where(or_(Article.url.in_(variants), Article.canonical_url.in_(variants)))
        .order_by(Article.id)
    ).all()
    exact = [a for a in candidates if url.strip() in (a.url, a.canonical_url)]
    return next(iter(exact or candidates), None)


@dataclass(frozen=True)
class Copy:
    article_id: int
    url: str
    source: str
    title: str | None
    published: datetime | None
    is_original: bool
    similarity: float | None
    origin: str | None = None  # the publisher the copy's own text credits
    first_seen_at: datetime | None = None
    why: str = ""  # why it got its place: claimed origin, dates, first seen


def _why_copy(copy: Article, original: Article | None, linked: bool) -> str:
    if not linked:
        return "similar text, not linked to the original"
    reasons = []
    if copy.origin:
        reasons.append(f"credits {copy.origin}")
    if original is not None and copy.published and original.published:
        if _aware(copy.published) > _aware(original.published):
            reasons.append("published later")
        elif _aware(copy.published) == _aware(original.published):
            reasons.append("published at the same time")
    if original is not None and _aware(copy.first_seen_at) > _aware(original.first_seen_at):
        reasons.append("first seen later")
    return "; ".join(reasons) or "a copy of the original"


def copies_of(
    db: Database,
    article_id: int,
    index: ReprintIndex | None = None,
    registry: PublisherRegistry | None = None,
) -> list[Copy]:
    """The cluster an article belongs to: its original, every linked copy, and any unlinked
    near-duplicate the index knows, original first, then by publication date; each with why
    it got its place."""
    index = index if index is not None else shared_index(db)
    with db.session() as session:
        registry = registry or publisher_directory(session)
        article = session.get(Article, article_id)
        if article is None:
            raise LookupError(f"article {article_id} does not exist")
        root_id = article.reprint_of_id or article.id
        minhash = index.get(article_id)
        if minhash is None:
            row = session.get(Fingerprint, article_id)
            minhash = from_bytes(row.minhash) if row is not None else None
        scores: dict[int, float] = {}
        if minhash is not None:
            scores = dict(index.similar(minhash, exclude=None))
        ids = set(scores) | {root_id, article_id}
        linked = session.scalars(
            select(Article).where(or_(Article.id.in_(ids), Article.reprint_of_id == root_id))
        ).all()
        root = next((a for a in linked if a.id == root_id), None)
        members = [a for a in linked if a.id == root_id or a.reprint_of_id == root_id]
        root_why = choose_original_why(members, None, registry)[1] if root else ""
        if root is not None and len(members) == 1:
            root_why = "no linked copies"
        copies = [
            Copy(
                a.id,
                a.url,
                a.source,
                a.title,
                a.published,
                a.id == root_id,
                scores.get(a.id),
                a.origin,
                a.first_seen_at,
                root_why if a.id == root_id else _why_copy(a, root, a.reprint_of_id == root_id),
            )
            for a in linked
        ]
    return sorted(copies, key=lambda c: (not c.is_original, _aware(c.published), c.article_id))


# Articles fingerprinted and linked per call of link_missing; the next call does the rest.
MISSING_BATCH = 500


def link_missing(db: Database, limit: int = 5000) -> int:
    """Fingerprint and link articles that have text but no signature (stored before their
    signature was, or by an older brwatch); returns how many were linked. Texts too short to
    compare are passed over, as when they were stored."""
    from brwatch.provenance.index import fingerprint_bytes, fingerprint_text

    linked = seen = last_id = 0
    while seen < limit:
        with db.session() as session:
            rows = session.execute(
                select(Article.id, Article.title, Article.text)
                .outerjoin(Fingerprint, Fingerprint.article_id == Article.id)
                .where(
                    Fingerprint.article_id.is_(None),
                    Article.text.is_not(None),
                    Article.id > last_id,
                )
                .order_by(Article.id)
                .limit(min(MISSING_BATCH, limit - seen))
            ).all()
        if not rows:
            break
        seen += len(rows)
        last_id = rows[-1].id
        signatures = {
            row.id: data
            for row in rows
            if (data := fingerprint_bytes(fingerprint_text(row.title, row.text))) is not None
        }
        link_batch(db, signatures)
        linked += len(signatures)
    return linked
