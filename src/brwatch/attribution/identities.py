"""Publisher identities learned from the sources and the sites, beside the registry.

A newsroom's own sources are rarely in ``rules/publishers.yaml``. Each crawled source is a
publisher too: its sources entry gives its title and hosts; its pages give the names the site
calls itself (og:site_name, the JSON-LD publisher, the title suffix, the header logo, the
copyright holder) and the hosts its articles live on. These are recorded as
:class:`~brwatch.storage.models.PublisherName` rows, with where each was found, and turned here
into :class:`LearnedPublisher` entries of one :class:`PublisherRegistry` that every attribution
check, reprint link and reuse gate reads.

Identity comes from the sources entry first. A name learned from pages never takes a name the
registry or another source's entry already holds, and a name several sources' pages claim goes
to the one that uses it on the larger share of its pages: a spoofed ``og:site_name`` cannot
re-key another publisher. A source whose entry points are on a registered publisher's domain
*is* that publisher; nothing is learned for it.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from brwatch.attribution.registry import (
    NameMatch,
    Publisher,
    PublisherRegistry,
    _normalise_text,
    load_publishers,
)
from brwatch.storage import Database
from brwatch.storage.models import PublisherName

NAME, HOST = "name", "host"
# Where a name or host was found, besides the page places of brwatch.extract.sitename.
SOURCES_TITLE = "sources title"
SOURCES_ENTRY = "sources entry point"
ARTICLE_URL = "article URL"
REGISTRY = "rules/publishers.yaml"
# A name read on pages counts when this many of the source's pages give it …
MIN_NAME_PAGES = 2
# … and at least this share as many as its most frequent name (a headline with a dash in it
# is one page's "title suffix", the site's name is every page's).
MIN_NAME_SHARE = 0.2
_TABLE = cast(Table, PublisherName.__table__)


def fold(text: str) -> str:
    """The matching key of a name: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def host_of(url_or_host: str) -> str:
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    return (host or "").lower().rstrip(".").removeprefix("www.")


class LearnedPublisher(Publisher):
    """A crawled source as a publisher: built by :func:`learned_publishers`, never from YAML."""

    kind: str = "crawled_source"  # type: ignore[assignment]
    country: str | None = None  # type: ignore[assignment]
    source: str = ""
    # (name or host, kind, where found, pages): what `brwatch publishers` shows.
    found: tuple[tuple[str, str, str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class NameRow:
    source: str
    kind: str
    value: str
    folded: str
    found_in: str
    pages: int


# -- recording --------------------------------------------------------------------------------


def _upsert(session: Session, rows: list[dict[str, Any]], *, add_pages: bool) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE).values(rows)
    excluded = statement.excluded
    pages = _TABLE.c.pages + excluded.pages if add_pages else excluded.pages
    statement = statement.on_conflict_do_update(
        index_elements=["source", "kind", "folded", "found_in"],
        set_={"pages": pages, "value": excluded.value, "last_seen_at": excluded.last_seen_at},
    )
    session.execute(statement)


def _row(source: str, kind: str, value: str, found_in: str, pages: int, now: datetime) -> dict:
    return {
        "source": source,
        "kind": kind,
        "value": value[:300],
        "folded": fold(value)[:300],
        "found_in": found_in,
        "pages": pages,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _entry_rows(sources: Iterable[Any], now: datetime) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for source in sources:
        if source.title:
            row = _row(source.name, NAME, source.title, SOURCES_TITLE, 0, now)
            rows[(source.name, NAME, row["folded"])] = row
        for _kind, url in source.entry_points:
            host = host_of(url)
            if host:
                rows[(source.name, HOST, host)] = _row(
                    source.name, HOST, host, SOURCES_ENTRY, 0, now
                )
    return list(rows.values())


def record_sources(session: Session, sources: Sequence[Any]) -> None:
    """The sources entries as they are now: titles and entry-point hosts (an edited title or
    entry point replaces the old one)."""
    names = [source.name for source in sources]
    if not names:
        return
    session.execute(
        delete(_TABLE).where(
            _TABLE.c.source.in_(names), _TABLE.c.found_in.in_([SOURCES_TITLE, SOURCES_ENTRY])
        )
    )
    _upsert(session, _entry_rows(sources, datetime.now(UTC)), add_pages=False)


def record_pages(
    session: Session, pages: Iterable[tuple[str, str, Iterable[tuple[str, str]]]]
) -> None:
    """Count, per source, the names stored pages give their site and the hosts they are on.
    ``pages``: (source, url, [(name, where found), …]) for each page stored."""
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    values: dict[tuple[str, str, str, str], str] = {}
    for source, url, names in pages:
        keys = {(source, HOST, host_of(url), ARTICLE_URL): host_of(url)}
        for name, where in names:
            keys[(source, NAME, fold(name), where)] = name
        for key, value in keys.items():
            if key[2]:
                counts[key] += 1
                values[key] = value
    now = datetime.now(UTC)
    rows = [
        _row(key[0], key[1], values[key], key[3], count, now)
        for key, count in sorted(counts.items())
    ]
    _upsert(session, rows, add_pages=True)


# -- learning -----------------------------------------------------------------------------------


def _stored_rows(session: Session) -> tuple[NameRow, ...]:
    query = select(
        _TABLE.c.source,
        _TABLE.c.kind,
        _TABLE.c.value,
        _TABLE.c.folded,
        _TABLE.c.found_in,
        _TABLE.c.pages,
    ).order_by(_TABLE.c.source, _TABLE.c.kind, _TABLE.c.folded, _TABLE.c.found_in)
    return tuple(NameRow(*row) for row in session.execute(query))


def _registered_hosts(rows: Iterable[NameRow], registry: PublisherRegistry) -> set[str]:
    return {row.folded for row in rows if row.kind == HOST and registry.match_domain(row.folded)}


def _hosts(
    source: str, rows: list[NameRow], all_rows: Sequence[NameRow], registered: set[str]
) -> list[str]:
    """The source's entry-point hosts, and the hosts of its articles that no other source's
    entry points are on and on which it has the most articles."""
    entry_owner: dict[str, set[str]] = defaultdict(set)
    article_pages: dict[str, dict[str, int]] = defaultdict(dict)
    for row in all_rows:
        if row.kind != HOST:
            continue
        if row.found_in == SOURCES_ENTRY:
            entry_owner[row.folded].add(row.source)
        elif row.found_in == ARTICLE_URL:
            article_pages[row.folded][row.source] = row.pages
    hosts = [r.folded for r in rows if r.kind == HOST and r.found_in == SOURCES_ENTRY]
    for row in rows:
        if row.kind != HOST or row.found_in != ARTICLE_URL or row.folded in registered:
            continue
        owners = entry_owner.get(row.folded)
        if owners and source not in owners:
            continue
        by_source = article_pages[row.folded]
        if max(by_source.values()) == by_source.get(source) and row.folded not in hosts:
            hosts.append(row.folded)
    return hosts


def _page_support(rows: Iterable[NameRow]) -> dict[str, tuple[int, int]]:
    """For each name the pages give: how many pages give it, by its best place (a name in the
    title suffix and the logo of the same 30 pages is given by 30 pages), and in how many
    places (a site's own name is in its og:site_name, title suffix and logo alike; a spoofed
    og:site_name is nowhere else)."""
    pages: dict[str, int] = defaultdict(int)
    places: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.kind == NAME and row.found_in != SOURCES_TITLE:
            pages[row.folded] = max(pages[row.folded], row.pages)
            places[row.folded] += 1
    return {name: (count, places[name]) for name, count in pages.items()}


def _learned(
    rows: tuple[NameRow, ...], registry: PublisherRegistry
) -> tuple[LearnedPublisher, ...]:
    by_source: dict[str, list[NameRow]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    registered_names = {fold(name) for publisher in registry for name in publisher.names}
    registered_hosts = _registered_hosts(rows, registry)
    titles = {r.folded: r.source for r in rows if r.kind == NAME and r.found_in == SOURCES_TITLE}
    totals = {
        source: sum(r.pages for r in source_rows if r.found_in == ARTICLE_URL) or 1
        for source, source_rows in by_source.items()
    }
    supports = {source: _page_support(source_rows) for source, source_rows in by_source.items()}
    learned: list[LearnedPublisher] = []
    for source, source_rows in sorted(by_source.items()):
        entry_hosts = [r.folded for r in source_rows if r.found_in == SOURCES_ENTRY]
        if any(host in registered_hosts for host in entry_hosts):
            continue  # the source is a registered publisher
        hosts = _hosts(source, source_rows, rows, registered_hosts)
        if not hosts:
            continue
        names: dict[str, str] = {}
        for row in source_rows:
            if row.found_in == SOURCES_TITLE and row.folded not in registered_names:
                names[row.folded] = row.value
        support = supports[source]
        best = max((pages for pages, _ in support.values()), default=0)
        for folded, (pages, _places) in sorted(support.items(), key=lambda item: -item[1][0]):
            if pages < MIN_NAME_PAGES or pages < MIN_NAME_SHARE * best:
                continue
            if folded in registered_names or titles.get(folded, source) != source:
                continue  # the registry's or another source's own name
            if folded not in names and _claimed_as_well(folded, source, supports, totals):
                continue
            value = next(r.value for r in source_rows if r.folded == folded and r.kind == NAME)
            names.setdefault(folded, value)
        display = list(names.values())
        learned.append(
            LearnedPublisher.model_construct(
                id=f"source:{source}",
                name=display[0] if display else source,
                kind="crawled_source",
                country=None,
                aliases=tuple(display) or (source,),
                domains=tuple(hosts),
                terms=None,
                examples=(),
                counterexamples=(),
                source=source,
                found=tuple(
                    (r.value, r.kind, r.found_in, r.pages)
                    for r in source_rows
                    if (r.kind == NAME and r.folded in names)
                    or (r.kind == HOST and r.folded in hosts)
                ),
            )
        )
    return tuple(learned)


def _claimed_as_well(
    folded: str,
    source: str,
    supports: dict[str, dict[str, tuple[int, int]]],
    totals: dict[str, int],
) -> bool:
    """Whether another source's pages give this name at least as consistently (share of its
    pages, then places on the page): an ambiguous name identifies nobody."""

    def score(who: str) -> tuple[float, int]:
        pages, places = supports[who].get(folded, (0, 0))
        return pages / totals[who], places

    own = score(source)
    return any(
        score(other) >= own for other in supports if other != source and folded in supports[other]
    )


class PublisherDirectory(PublisherRegistry):
    """The registry and the learned identities answering as one registry. The registry's
    compiled names are reused as they are (compiling them takes a fifth of a second); only
    the learned names, few and changing as pages arrive, get a matcher of their own. A
    registered name wins over a learned one."""

    def __init__(self, registered: PublisherRegistry, learned: Sequence[LearnedPublisher]) -> None:
        self.registered = registered
        self.learned = _learned_matcher(
            tuple((p.id, p.name, p.aliases, p.domains, p.source) for p in learned)
        )
        self.publishers = [*registered.publishers, *learned]
        self.source = f"{registered.source} + crawled sources"
        self._by_id = {**{p.id: p for p in learned}, **registered._by_id}

    def _current(self, publisher: Publisher | None) -> Publisher | None:
        """The matcher's learned publishers are kept across page-count changes: the entry
        with the current counts is the one in this directory."""
        return None if publisher is None else self._by_id.get(publisher.id, publisher)

    def find_names(self, text: str) -> list[NameMatch]:
        found = self.registered.find_names(text)
        taken = [(m.start, m.end) for m in found]
        for match in self.learned.find_names(text):
            if not any(match.start < end and start < match.end for start, end in taken):
                current = self._current(match.publisher)
                found.append(NameMatch(current, match.alias, match.start, match.end))  # type: ignore[arg-type]
        return sorted(found, key=lambda m: m.start)

    def match_name(self, text: str | None) -> Publisher | None:
        if not text:
            return None
        key = _normalise_text(text).casefold()
        exact = self.registered._by_folded.get(key) or self._current(
            self.learned._by_folded.get(key)
        )
        if exact is not None:
            return exact
        matches = self.find_names(text)
        if not matches:
            return None
        return max(matches, key=lambda m: (m.end - m.start, -m.start)).publisher

    def match_domain(self, url_or_host: str | None) -> Publisher | None:
        return self.registered.match_domain(url_or_host) or self._current(
            self.learned.match_domain(url_or_host)
        )


@lru_cache(maxsize=16)
def _learned_matcher(
    identities: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], str], ...],
) -> PublisherRegistry:
    """A matcher for the learned names, compiled once per set of identities (not per change
    of their page counts)."""
    publishers: list[Publisher] = [
        LearnedPublisher.model_construct(
            id=ident,
            name=name,
            kind="crawled_source",
            country=None,
            aliases=aliases,
            domains=domains,
            terms=None,
            examples=(),
            counterexamples=(),
            source=source,
            found=(),
        )
        for ident, name, aliases, domains, source in identities
    ]
    return PublisherRegistry(publishers, "crawled sources")


def _directory(rows: tuple[NameRow, ...], registry: PublisherRegistry) -> PublisherRegistry:
    return PublisherDirectory(registry, _learned(rows, registry))


def learned_publishers(directory: PublisherRegistry) -> list[LearnedPublisher]:
    return [p for p in directory if isinstance(p, LearnedPublisher)]


def publisher_directory(
    db: Database | Session,
    registry: PublisherRegistry | None = None,
    sources: Sequence[Any] | None = None,
) -> PublisherRegistry:
    """The registry plus every crawled source's learned identity, as stored now. ``sources``
    (a sources file's entries) stand in for what is stored of those sources' entries."""
    registry = registry or load_publishers()
    if isinstance(db, Session):
        rows = _stored_rows(db)
    else:
        with db.session() as session:
            rows = _stored_rows(session)
    if sources:
        named = {source.name for source in sources}
        entries = tuple(
            NameRow(r["source"], r["kind"], r["value"], r["folded"], r["found_in"], 0)
            for r in _entry_rows(sources, datetime.now(UTC))
        )
        rows = (
            tuple(
                r
                for r in rows
                if not (r.source in named and r.found_in in (SOURCES_TITLE, SOURCES_ENTRY))
            )
            + entries
        )
    return _directory(rows, registry)
