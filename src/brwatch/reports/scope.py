"""What a report covers (period and sources) and the query helpers every section shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func

from brwatch.reports.period import Period
from brwatch.storage.models import Article

# Ids per IN (...) query: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 2000
# A SELECT of any columns: the helpers add conditions and hand back the same row type.
_Query = TypeVar("_Query", bound=Select)


class Scope:
    """The period and source filter, applied the same way to every query."""

    def __init__(self, period: Period, sources: list[str] | None) -> None:
        self.period = period
        self.sources = sources

    def articles(self, stmt: _Query) -> _Query:
        """Articles first collected in the period, from the chosen sources."""
        return self.of_sources(self.during(stmt, Article.first_seen_at))

    def of_sources(self, stmt: _Query) -> _Query:
        """Rows about articles of the chosen sources (``stmt`` must reach ``articles``)."""
        return stmt.where(Article.source.in_(self.sources)) if self.sources else stmt

    def during(self, stmt: _Query, column: Any) -> _Query:
        """Rows whose ``column`` time lies in the period."""
        stmt = stmt.where(column < self.period.until)
        return stmt.where(column >= self.period.since) if self.period.since else stmt


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def review_state_in(column: Any) -> ColumnElement[str]:
    """The review state an audit record's before/after JSON names, read by the database."""
    # The web app writes {"state": ...}; older or other writers may say "review_state".
    return func.coalesce(column["state"].as_string(), column["review_state"].as_string())


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return utc(moment).isoformat() if moment else None
