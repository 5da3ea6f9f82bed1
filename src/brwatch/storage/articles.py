"""Repository functions for what the crawl writes: articles with snapshots, seen URLs, runs.

An article is keyed by its canonical URL: a re-crawl updates it in place, and a page whose
bytes changed adds a Snapshot beside the earlier ones (they are evidence, never overwritten).
Callers pass a session so a whole batch of pages is written in one transaction.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psutil
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from brwatch.storage.models import Article, CrawlRun, SeenUrl, Snapshot, utcnow

# Article columns a crawl may set from a processed page; the rest belong to review/attribution.
ARTICLE_FIELDS = (
    "url",
    "source",
    "title",
    "text",
    "lang",
    "published",
    "authors",
    "site_name",
    "image",
    "topic_score",
    "relevant",
    "rights",
    "rights_status",
    "rights_conflict",
    "rights_unmatched",
    "ruleset",
    "origin",
    "content_hash",
)
RUN_STATUSES = ("running", "ok", "failed", "killed")


@dataclass(frozen=True, slots=True)
class SnapshotData:
    """One fetched version of a page, ready to keep as evidence."""

    url: str
    status: int
    headers: dict[str, str]
    html_gz: bytes
    sha256: str
    encoding: str | None
    hints: dict[str, Any] | None
    fetched_at: datetime
    # The page's own verdict on this version (kept with the snapshot: the verdict's history).
    rights: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SeenInfo:
    """What the last run learned about a URL: validators for a conditional re-fetch; when it
    was fetched and when its article was published (or first seen), for re-fetching pages
    without validators by age (brwatch.pipeline.refetch)."""

    etag: str | None
    last_modified: str | None
    status: int | None
    sha256: str | None
    fetched_at: datetime | None = None
    born: datetime | None = None


def upsert_article(
    session: Session, canonical_url: str, fields: dict[str, Any], snapshot: SnapshotData
) -> tuple[Article, str]:
    """Insert or update the article at ``canonical_url``; returns it and ``new|changed|unchanged``.

    A snapshot is added, and the article's fields (its verdict too) rewritten, only when the
    page is new or changed: neither its bytes nor its content hash are those stored.
    """
    return upsert_articles(session, [(canonical_url, fields, snapshot)])[0]


def upsert_articles(
    session: Session, pages: list[tuple[str, dict[str, Any], SnapshotData]]
) -> list[tuple[Article, str]]:
    """:func:`upsert_article` for a batch of (canonical URL, fields, snapshot): one query finds
    the stored articles, one flush writes them all (ids assigned). Pages sharing a canonical URL
    update one article, in order."""
    for _, fields, _ in pages:
        unknown = set(fields) - set(ARTICLE_FIELDS)
        if unknown:
            raise ValueError(f"not article fields a crawl may set: {sorted(unknown)}")
    urls = list({canonical_url for canonical_url, _, _ in pages})
    known = {
        article.canonical_url: article
        for article in session.scalars(select(Article).where(Article.canonical_url.in_(urls)))
    }
    results: list[tuple[Article, str]] = []
    for canonical_url, fields, snapshot in pages:
        article = known.get(canonical_url)
        if article is None:
            article = known[canonical_url] = Article(
                canonical_url=canonical_url,
                first_seen_at=snapshot.fetched_at,
                fetched_at=snapshot.fetched_at,
                updated_at=utcnow(),
                content_sha256=snapshot.sha256,
                **fields,
            )
            session.add(article)
            outcome = "new"
        else:
            outcome = "unchanged" if _same_content(article, fields, snapshot) else "changed"
            if outcome == "changed":
                for name, value in fields.items():
                    setattr(article, name, value)
                article.content_sha256 = snapshot.sha256
                article.updated_at = utcnow()
            elif article.content_hash is None:
                article.content_hash = fields.get("content_hash")  # stored before it existed
            article.fetched_at = snapshot.fetched_at
        if outcome != "unchanged":
            session.add(
                Snapshot(
                    article=article,
                    url=snapshot.url,
                    status=snapshot.status,
                    headers=snapshot.headers,
                    html_gz=snapshot.html_gz,
                    sha256=snapshot.sha256,
                    encoding=snapshot.encoding,
                    hints=snapshot.hints,
                    fetched_at=snapshot.fetched_at,
                    rights=snapshot.rights,
                )
            )
        results.append((article, outcome))
    session.flush()
    return results


def _same_content(article: Article, fields: dict[str, Any], snapshot: SnapshotData) -> bool:
    """The same bytes, or the same content (title, text, dates, the verdict's grounds) in
    bytes that moved (a clock, an ad): then nothing new is stored, verdict included."""
    if article.content_sha256 == snapshot.sha256:
        return True
    content_hash = fields.get("content_hash")
    return content_hash is not None and article.content_hash == content_hash


@dataclass(frozen=True, slots=True)
class Fetch:
    """One fetch of a URL to remember: its status, validators and the article it gave."""

    url_key: str
    source: str
    status: int | None
    fetched_at: datetime
    article_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    # 304 Not Modified (or a canonical URL seen through another URL): validators stay.
    keep_validators: bool = False


def mark_seen(
    session: Session,
    url_key: str,
    source: str,
    *,
    status: int | None,
    fetched_at: datetime,
    article_id: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    sha256: str | None = None,
    keep_validators: bool = False,
) -> SeenUrl:
    """Remember that ``url_key`` was fetched (or answered 304 when ``keep_validators``)."""
    fetch = Fetch(
        url_key, source, status, fetched_at, article_id, etag, last_modified, sha256,
        keep_validators,
    )  # fmt: skip
    return mark_seen_many(session, [fetch])[0]


def mark_seen_many(session: Session, fetches: list[Fetch]) -> list[SeenUrl]:
    """:func:`mark_seen` for a batch: one query finds the remembered URLs, one flush writes."""
    keys = list({fetch.url_key for fetch in fetches})
    known = {
        seen.url_key: seen
        for seen in session.scalars(select(SeenUrl).where(SeenUrl.url_key.in_(keys)))
    }
    results: list[SeenUrl] = []
    for fetch in fetches:
        seen = known.get(fetch.url_key)
        if seen is None:
            seen = known[fetch.url_key] = SeenUrl(url_key=fetch.url_key, source=fetch.source)
            session.add(seen)
        seen.status = fetch.status
        seen.last_fetched_at = fetch.fetched_at
        if fetch.article_id is not None:
            seen.article_id = fetch.article_id
        if not fetch.keep_validators:
            seen.etag = fetch.etag
            seen.last_modified = fetch.last_modified
            seen.sha256 = fetch.sha256
        results.append(seen)
    session.flush()
    return results


def load_seen(session: Session, sources: Iterable[str] | None = None) -> dict[str, SeenInfo]:
    """Every remembered URL (of ``sources``, or all) with its validators and ages."""
    query = select(
        SeenUrl.url_key,
        SeenUrl.etag,
        SeenUrl.last_modified,
        SeenUrl.status,
        SeenUrl.sha256,
        SeenUrl.last_fetched_at,
        # coalesce keeps the first column's type: aware datetimes on every backend.
        func.coalesce(Article.published, Article.first_seen_at),
    ).outerjoin(Article, Article.id == SeenUrl.article_id)
    if sources is not None:
        query = query.where(SeenUrl.source.in_(list(sources)))
    return {row[0]: SeenInfo(*row[1:]) for row in session.execute(query)}


def start_run(
    session: Session, source: str, trigger: str = "manual", *, pid: int | None = None
) -> CrawlRun:
    """A CrawlRun in state ``running``; the pid lets a watchdog tell a killed crawl apart."""
    run = CrawlRun(
        source=source,
        trigger=trigger,
        status="running",
        started_at=utcnow(),
        pid=pid if pid is not None else os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run


def settle_orphaned_runs(session: Session, spare: Collection[int] = ()) -> list[int]:
    """Mark ``killed`` the runs this host left ``running`` whose process is gone (a crawl
    killed with SIGKILL, by the OOM killer, or a machine that rebooted); returns their ids.
    Runs of other hosts are theirs to settle: their pids mean nothing here. Runs of the pids
    in ``spare`` are left alone: a scheduler's own children, which it settles itself with how
    they ended (a child that has just crashed is gone, but it was not killed)."""
    here = socket.gethostname()
    orphaned = [
        run
        for run in session.scalars(
            select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.host == here)
        )
        if run.pid is not None
        and run.pid not in spare
        and not crawl_process_alive(run.pid, run.started_at)
    ]
    for run in orphaned:
        run.status = "killed"
        run.finished_at = utcnow()
        note = f"the crawl process (pid {run.pid}) was gone: killed or crashed"
        run.log_tail = "\n".join(part for part in (run.log_tail, note) if part)
    session.flush()
    return [run.id for run in orphaned]


def crawl_process_alive(pid: int, started_at: datetime) -> bool:
    """Whether ``pid`` is still the process that started the run: alive, not a zombie, and
    started no later than the run (a reused pid belongs to a younger process)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_at.timestamp() + 1
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def add_run_items(session: Session, run_id: int, count: int) -> None:
    """Count stored items on the run as they are written, so a killed run still tells."""
    session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id).values(items=CrawlRun.items + count)
    )


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    *,
    pages: int,
    errors: dict[str, int],
    stats: dict[str, Any] | None = None,
    log_tail: str | None = None,
) -> CrawlRun:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    run.status = status
    run.finished_at = utcnow()
    run.pages = pages
    run.errors = dict(errors)
    duration = round((run.finished_at - run.started_at).total_seconds(), 3)
    run.stats = {**(stats or {}), "duration_s": duration}
    run.log_tail = log_tail
    session.flush()
    return run
