"""The crawl frontier: discovery a cap cut short, so the next run continues where it stopped.

A listing chain cut by BRWATCH_MAX_LISTING_PAGES leaves its next pages ``pending``; the next
run starts a chain from each, and marks it ``read`` so that no later run cut at the same place
counts it as left out again. A child sitemap past
BRWATCH_MAX_CHILD_SITEMAPS is ``pending`` until a run reads it whole; then it is ``read``,
with the ``lastmod`` its index gave it, and is read again only when that changes. Article URLs
left out by BRWATCH_MAX_SITEMAP_URLS need no row: `seen_urls` already tells the next run which
entries were fetched, and those do not count against the cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from brwatch.storage.models import CrawlFrontier, utcnow

LISTING = "listing"
SITEMAP = "sitemap"
PENDING = "pending"
READ = "read"


@dataclass(frozen=True, slots=True)
class FrontierEntry:
    source: str
    kind: str  # listing | sitemap
    url: str
    state: str  # pending | read
    lastmod: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.kind, self.url)


def load_frontier(
    session: Session, sources: Iterable[str] | None = None
) -> dict[tuple[str, str, str], FrontierEntry]:
    """The frontier of ``sources`` (or all), by (source, kind, url)."""
    query = select(CrawlFrontier)
    if sources is not None:
        query = query.where(CrawlFrontier.source.in_(list(sources)))
    entries = (
        FrontierEntry(row.source, row.kind, row.url, row.state, row.lastmod)
        for row in session.scalars(query)
    )
    return {entry.key: entry for entry in entries}


def save_frontier(session: Session, entries: Iterable[FrontierEntry]) -> None:
    """Record what a run learned; the last word on an entry wins."""
    wanted = {entry.key: entry for entry in entries}
    if not wanted:
        return
    keys = list(wanted)
    stored = {
        (row.source, row.kind, row.url): row
        for start in range(0, len(keys), 500)
        for row in session.scalars(
            select(CrawlFrontier).where(
                tuple_(CrawlFrontier.source, CrawlFrontier.kind, CrawlFrontier.url).in_(
                    keys[start : start + 500]
                )
            )
        )
    }
    for key, entry in wanted.items():
        row = stored.get(key)
        if row is None:
            row = CrawlFrontier(source=entry.source, kind=entry.kind, url=entry.url)
            session.add(row)
        row.state = entry.state
        row.lastmod = entry.lastmod
        row.updated_at = utcnow()
    session.flush()


# The run stats (crawl_runs.stats) that count what a cap left for the next run, what they
# count and the setting that cut it.
CAPPED = {
    "capped_urls": ("sitemap URLs", "BRWATCH_MAX_SITEMAP_URLS"),
    "capped_sitemaps": ("child sitemaps", "BRWATCH_MAX_CHILD_SITEMAPS"),
    "listing_capped": ("listing pages", "BRWATCH_MAX_LISTING_PAGES"),
}


def left_out(stats: dict[str, object] | None) -> dict[str, int]:
    """What a run's caps left for the next run, by stat (only those that left something)."""
    found = {key: (stats or {}).get(key) for key in CAPPED}
    return {key: int(n) for key, n in found.items() if isinstance(n, int | float) and n > 0}


def describe_left_out(counts: dict[str, int]) -> str:
    """``3000 sitemap URLs (BRWATCH_MAX_SITEMAP_URLS), 2 listing pages (…)``."""
    return ", ".join(
        f"{n} {CAPPED[key][0]} ({CAPPED[key][1]})" for key, n in counts.items() if key in CAPPED
    )
