"""Planner statistics kept current by brwatch itself.

The queue's plans depend on table statistics (which index a filter or a title search uses).
PostgreSQL's autovacuum gathers them eventually, SQLite never does unless asked, so a fresh
installation or a big crawl would otherwise leave the planner guessing: the queue at 100,000
articles answered in 200–900 ms on PostgreSQL without statistics and under 150 ms with them
(benchmarks/web.md). brwatch gathers them when a table has none yet, or when a crawl wrote a
sizeable share of the articles since they were last gathered.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from brwatch.storage.database import Database

log = logging.getLogger(__name__)

# Gather again once a crawl wrote this many articles, or this share of the table.
CHANGED_ROWS = 1_000
CHANGED_SHARE = 0.10
# The tables the review queue, reports and linking read with a choice of index.
TABLES = (
    "articles",
    "snapshots",
    "crawl_runs",
    "seen_urls",
    "fingerprints",
    "audit_events",
    "queue_counts",
)
# SQLite reads every index row (0: no limit). A sample (PRAGMA optimize's default of 1,000
# rows) reads only the start of each index, whose leading columns are sorted: every article
# there is off-topic and "relevant" looked unselective, so the queue picked the wrong index
# (page 40: 110 ms instead of 2 ms). A full pass costs about 2 s at 100,000 articles.
SQLITE_ANALYSIS_LIMIT = 0


def refresh_statistics(db: Database, changed_rows: int = 0, *, force: bool = False) -> bool:
    """Gather planner statistics if they are missing or `changed_rows` makes them stale.
    Returns whether they were gathered. A failure is logged, never raised: statistics only
    make queries faster, and the caller's work (a crawl, a server start) is already done."""
    try:
        with db.engine.begin() as connection:
            if not (force or _stale(connection, changed_rows)):
                _optimize(connection)
                return False
            _gather(connection)
    except DBAPIError as error:
        log.warning("could not gather planner statistics: %s", error.orig or error)
        return False
    log.info("planner statistics gathered (%d articles written since)", changed_rows)
    return True


def _stale(connection: Connection, changed_rows: int) -> bool:
    if not _have_statistics(connection):
        return True
    if changed_rows < CHANGED_ROWS:
        return False
    total = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    return changed_rows >= CHANGED_SHARE * max(total, 1)


def _have_statistics(connection: Connection) -> bool:
    if connection.dialect.name == "sqlite":
        catalogued = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        ).first()
        if catalogued is None:
            return False
        # Every index of articles, so that an index a migration added gets its statistics too.
        missing = connection.execute(
            text(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = 'articles'"
                " AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE tbl = 'articles')"
                " AND EXISTS (SELECT 1 FROM articles)"
            )
        ).first()
        has_any = connection.execute(
            text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'articles'")
        ).first()
        return has_any is not None and missing is None
    # pg_stats is transactional (pg_stat_user_tables' analyse times lag behind by up to a second).
    analysed = connection.execute(
        text(
            "SELECT 1 FROM pg_stats WHERE tablename = 'articles'"
            " AND schemaname = current_schema() LIMIT 1"
        )
    ).first()
    return analysed is not None


def _optimize(connection: Connection) -> None:
    """SQLite's own upkeep between full passes: PRAGMA optimize analyses the tables whose
    statistics the queries since this connection opened would gain from (cheap when none)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA optimize")


def _gather(connection: Connection) -> None:
    present = [name for name in TABLES if connection.dialect.has_table(connection, name)]
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        for name in present:
            connection.exec_driver_sql(f'ANALYZE "{name}"')
        return
    connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in present))
