"""Tables. The Alembic migrations in ``migrations/versions`` must create exactly these.

Times are stored timezone-aware (UTC). JSON columns hold the contract shapes of DESIGN.md
(the rights verdict, errors by kind, evidence) so what is stored is what is exported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and read back timezone-aware on every backend.

    SQLite keeps no offset: without this, 18:10+08:00 would be stored as 18:10 and read back
    as 18:10 UTC. A naive value handed in is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


# Title search indexes the 0001 migration creates outside this metadata (when the database can):
# an SQLite FTS5 trigram table over articles.title (kept in sync by triggers whose names start
# with it) and a PostgreSQL pg_trgm GIN index on articles.title.
TITLE_FTS_TABLE = "articles_title_fts"
TITLE_TRGM_INDEX = "ix_articles_title_trgm"
# PostgreSQL: a GIN index of the title's one- and two-character pieces (migration 0007), for
# the words pg_trgm cannot find; brwatch_title_grams(title) makes them.
TITLE_GRAMS_INDEX = "ix_articles_title_grams"
TITLE_GRAMS_FUNCTION = "brwatch_title_grams"
# Facet counts per combination of the queue's columns, kept current by triggers on articles
# whose names start with it (migration 0007).
QUEUE_COUNTS_TABLE = "queue_counts"
QUEUE_COUNT_COLUMNS = (
    "relevant",
    "review_state",
    "reuse_status",
    "attribution_link",
    "reuse_conflict",
    "rights_unmatched",
    "source",
    "lang",
)


class Article(Base):
    """One article, keyed by its canonical URL; the newest version's fields are kept here."""

    __tablename__ = "articles"
    # The review queue filters and counts on these (the reuse verdict, not the page's own: what
    # every surface shows); covering them keeps its counts index-only.
    __table_args__ = (
        Index(
            "ix_articles_queue",
            "relevant",
            "review_state",
            "fetched_at",
            # The id right after the sort key: read backwards, the index is in the queue's
            # order exactly (fetched_at, then id), so a page is its first rows, never a sort.
            "id",
            "reuse_status",
            "reuse_conflict",
            "rights_unmatched",
            "attribution_link",
            "source",
            "lang",
            "published",
            # PostgreSQL: a title search's capped counts read titles here, index-only, not from
            # the wide rows (SQLite searches titles through its FTS5 index).
            postgresql_include=["title"],
        ),
        # Language and publication dates within one review state: "lang + date, by publication
        # date" reads a range here instead of sorting every pending item (SQLite ~45 -> ~4 ms).
        Index(
            "ix_articles_queue_lang",
            "relevant",
            "review_state",
            "lang",
            "published",
            "reuse_status",
            "reuse_conflict",
            "rights_unmatched",
            "attribution_link",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16), index=True)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    site_name: Mapped[str | None] = mapped_column(String(300))
    image: Mapped[str | None] = mapped_column(String(2048))
    topic_score: Mapped[float] = mapped_column(Float, default=0.0)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The rights verdict (DESIGN.md shape) or null until the engine has run.
    rights: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rights_status: Mapped[str | None] = mapped_column(String(32), index=True)
    rights_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    # The verdict holds a rights-like sentence that no rule matched (evidence kind "unmatched").
    rights_unmatched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ruleset: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(String(300))
    # The reuse verdict: the page's own verdict combined with what it inherits from the article
    # it reprints and from its credited publisher's registered terms (brwatch.provenance.reuse).
    # Every surface shows, filters and counts these. A change to the inputs (own verdict,
    # origin, reprint link) empties reuse_basis, and readers recompute.
    reuse_rights: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reuse_status: Mapped[str | None] = mapped_column(String(32), index=True)
    reuse_conflict: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The publisher registry version the reuse verdict was computed with; "": recompute it.
    # Never null, so "is anything out of date?" is a min() and a max() over this index.
    reuse_basis: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    # Attribution outcome: ok | missing | broken | wrong_target | not_required.
    attribution: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attribution_link: Mapped[str | None] = mapped_column(String(16), index=True)
    reprint_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    review_state: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    # Bumped by every review decision: a decision names the version it saw (optimistic locking).
    review_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of what the page says (brwatch.pipeline.process.content_hash: title, text, dates,
    # the verdict's grounds), not of its bytes: a re-fetch whose bytes moved (a clock, an ad)
    # but whose content did not stores no new snapshot and no new verdict.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    snapshots: Mapped[list[Snapshot]] = relationship(
        back_populates="article", order_by="Snapshot.fetched_at", cascade="all, delete-orphan"
    )


# What the reuse verdict is computed from: setting any of them (a re-crawl, a recheck, a new
# reprint link made through the ORM) marks the stored reuse verdict out of date.
REUSE_INPUTS = ("rights", "rights_status", "rights_conflict", "origin", "reprint_of_id")


def _reuse_inputs_changed(target: Article, value: Any, old: Any, initiator: Any) -> None:
    target.reuse_basis = ""


for _name in REUSE_INPUTS:
    event.listen(getattr(Article, _name), "set", _reuse_inputs_changed)

# The queue's other sorts within one review state, each read backwards (its descending column
# then comes out ascending, the rest newest first): a page is the first rows of a range, not a
# sort of every pending item (migration 0007).
_FLAG_COLUMNS = (
    Article.reuse_status,
    Article.reuse_conflict,
    Article.rights_unmatched,
    Article.attribution_link,
)
QUEUE_SORT_INDEXES = (
    Index(
        "ix_articles_queue_by_source",
        Article.relevant,
        Article.review_state,
        Article.source.desc(),
        Article.fetched_at,
        Article.id,
        *_FLAG_COLUMNS,
    ),
    Index(
        "ix_articles_queue_by_status",
        Article.relevant,
        Article.review_state,
        Article.reuse_status.desc(),
        Article.fetched_at,
        Article.id,
        *_FLAG_COLUMNS[1:],
    ),
    Index(
        "ix_articles_queue_by_published",
        Article.relevant,
        Article.review_state,
        Article.published,
        Article.id,
        *_FLAG_COLUMNS,
    ),
    # Any review state.
    Index(
        "ix_articles_queue_any_state",
        Article.relevant,
        Article.fetched_at,
        Article.id,
        *_FLAG_COLUMNS,
    ),
)


class QueueCount(Base):
    """How many articles share one combination of the queue's facet columns, kept by triggers
    on articles (migration 0007), so the queue's counts read a few hundred rows here instead
    of every flagged article. Nulls are stored as "" (a primary key cannot hold them)."""

    __tablename__ = QUEUE_COUNTS_TABLE

    relevant: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    review_state: Mapped[str] = mapped_column(String(32), primary_key=True)
    reuse_status: Mapped[str] = mapped_column(String(32), primary_key=True)
    attribution_link: Mapped[str] = mapped_column(String(16), primary_key=True)
    reuse_conflict: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    rights_unmatched: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Snapshot(Base):
    """One fetched version of an article: the raw HTML, compressed, as evidence."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int] = mapped_column(Integer, default=200)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    html_gz: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str | None] = mapped_column(String(32))
    # What discovery knew (feed rights line, feed/sitemap title and date): recheck needs it.
    hints: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The page's own rights verdict as the crawl judged this version: the verdict's history
    # (a notice added later shows as a second snapshot with another verdict); null before 0006.
    rights: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    article: Mapped[Article] = relationship(back_populates="snapshots")


class SeenUrl(Base):
    """Every normalised URL fetched, for no-page-twice across runs and conditional re-fetches."""

    __tablename__ = "seen_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url_key: Mapped[str] = mapped_column(String(2048), unique=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    last_fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrawlFrontier(Base):
    """Discovery a cap cut short, for the next run to continue: a listing page past
    BRWATCH_MAX_LISTING_PAGES (``pending`` until fetched), a child sitemap past
    BRWATCH_MAX_CHILD_SITEMAPS (``pending``, then ``read`` with the ``lastmod`` it had)."""

    __tablename__ = "crawl_frontier"
    __table_args__ = (UniqueConstraint("source", "kind", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # listing | sitemap
    url: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | read
    lastmod: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    # Errors by kind, e.g. {"dns": 1, "timeout": 3, "http_5xx": 2, "parse": 1}.
    errors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    log_tail: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)


class AttributionCheck(Base):
    """One check of whether a page links to the publisher it credits; the newest is on Article."""

    __tablename__ = "attribution_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str | None] = mapped_column(String(300))
    origin_url: Mapped[str | None] = mapped_column(String(2048))
    link_url: Mapped[str | None] = mapped_column(String(2048))
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2048))
    redirects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Fingerprint(Base):
    """MinHash signature of an article's text, for finding reprints across sources."""

    __tablename__ = "fingerprints"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PublisherName(Base):
    """A name or host a crawled source is known by, and where it was found: its sources entry
    (title, entry-point hosts) or its pages (og:site_name, the title suffix, …; article hosts).
    brwatch.attribution.identities turns these rows into learned publisher identities."""

    __tablename__ = "publisher_names"
    __table_args__ = (UniqueConstraint("source", "kind", "folded", "found_in"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # name | host
    value: Mapped[str] = mapped_column(String(300))
    folded: Mapped[str] = mapped_column(String(300))  # NFKC, case-folded: the matching key
    found_in: Mapped[str] = mapped_column(String(40))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grant(Base):
    """A permission a publisher granted, recorded by legal."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    publisher: Mapped[str] = mapped_column(String(300), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # article | all
    article_url: Mapped[str | None] = mapped_column(String(2048))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conditions: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class GateDecision(Base):
    """One answer of the reuse gate, kept whatever it was."""

    __tablename__ = "gate_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    article_url: Mapped[str] = mapped_column(String(2048))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    draft_sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # pass | fail
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="SET NULL"))
    user: Mapped[str | None] = mapped_column(String(100))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # editor | legal | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebSession(Base):
    """One login to the review app, kept server-side so it can be ended before its cookie expires:
    by logging out, a password or role change, or an admin disabling the account. It ends
    ``expires_at`` (login + the session lifetime) whatever the activity. The cookie carries a
    random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # logout | password | role | disabled
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class AuditEvent(Base):
    """Append-only log of every decision and change: who, when, what, before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(32))  # article | grant | user
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class SchedulerLease(Base):
    """Which scheduler process runs a job now, so schedulers sharing a database never double-run.

    Taken with one atomic UPDATE ... WHERE the lease is free (portable across SQLite and
    PostgreSQL); ``claimed_at`` keeps a second scheduler from re-running the same fire.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SourceFlag(Base):
    """A monitoring alarm on a source (no items, error rate, item drop), until it clears."""

    __tablename__ = "source_flags"
    __table_args__ = (UniqueConstraint("source", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginFailure(Base):
    """One failed login, under each key it counts against ("u:name|client", "c:client"): every
    web process sharing the database sees the same count (brwatch.web.security.LoginThrottle).
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ProcessHeartbeat(Base):
    """A long-running brwatch process (scheduler, worker) saying it is alive, for /metrics and
    status: each beats its row every few seconds; a row that stops moving is a dead process."""

    __tablename__ = "process_heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), index=True)  # scheduler | worker
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # What a worker is crawling now (a source name), for `brwatch status`.
    current_source: Mapped[str | None] = mapped_column(String(100))


class NotificationSubscription(Base):
    """What one user asked to be told, and where (opt-in: no row, no notifications)."""

    __tablename__ = "notification_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    flagged_items: Mapped[bool] = mapped_column(Boolean, default=True)
    source_flags: Mapped[bool] = mapped_column(Boolean, default=False)
    expiring_grants: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_days: Mapped[int] = mapped_column(Integer, default=14)
    # Items flagged before the user subscribed are not sent: the digest starts here.
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NotificationDelivery(Base):
    """One item to tell one user on one channel: the outbox. The unique key is what makes a
    notification go out at most once; a failed send stays pending with its next attempt time."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "channel", "kind", "item_key"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    kind: Mapped[str] = mapped_column(String(32))  # flagged_item | source_flag | expiring_grant
    item_key: Mapped[str] = mapped_column(String(300))
    # What the digest says of the item, as it was when the item was queued.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|…
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CrawlJob(Base):
    """One crawl of one source for `brwatch worker` processes: queued by the active scheduler,
    claimed by one worker under a lease (``token`` grows with every claim, so a worker whose
    lease lapsed can tell, and be told, that the job is no longer its own)."""

    __tablename__ = "crawl_jobs"
    __table_args__ = (
        # At most one pending job per source: a standby scheduler re-enqueueing what the active
        # one already queued is a no-op, so nothing fires twice.
        Index(
            "ux_crawl_jobs_pending",
            "source",
            unique=True,
            sqlite_where=text("state IN ('queued', 'leased')"),
            postgresql_where=text("state IN ('queued', 'leased')"),
        ),
        Index("ix_crawl_jobs_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="queued")  # JOB_STATES
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enqueued_by: Mapped[str | None] = mapped_column(String(200))
    worker: Mapped[str | None] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FrontierUrl(Base):
    """A URL known to the distributed crawl: queued, leased to one worker (with a fencing
    token), or done at ``done_at``. Its article, snapshot and done mark commit together, only
    while the token is still the worker's (brwatch.cluster.frontier)."""

    __tablename__ = "frontier_urls"
    __table_args__ = (
        Index("ix_frontier_urls_worker", "worker", "state"),
        Index("ix_frontier_urls_lease", "state", "lease_expires_at"),
    )

    url_key: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # URL_STATES
    worker: Mapped[str | None] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class PolitenessGate(Base):
    """The next moment a request may start on a politeness group, kept in PostgreSQL only while
    Redis is unreachable (the slower, exact fallback of brwatch.cluster.politeness)."""

    __tablename__ = "politeness_gates"

    group_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    next_start_at: Mapped[datetime] = mapped_column(UTCDateTime())
