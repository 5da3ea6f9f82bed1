"""queue speed: facet counts kept by triggers, indexes for the queue's sorts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:30:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The queue's facet columns (models.QUEUE_COUNT_COLUMNS), nulls stored as "".
_KEY = (
    "relevant",
    "review_state",
    "reuse_status",
    "attribution_link",
    "reuse_conflict",
    "rights_unmatched",
    "source",
    "lang",
)
_NULLABLE = {"reuse_status", "attribution_link", "lang"}
_FLAGS = ["reuse_status", "reuse_conflict", "rights_unmatched", "attribution_link"]
# The queue's sorts (models.py), each with the id right after its sort key and the flag columns.
_SORT_INDEXES: dict[str, list[Any]] = {
    "ix_articles_queue_by_source": [
        "relevant",
        "review_state",
        sa.text("source DESC"),
        "fetched_at",
        "id",
        *_FLAGS,
    ],
    "ix_articles_queue_by_status": [
        "relevant",
        "review_state",
        sa.text("reuse_status DESC"),
        "fetched_at",
        "id",
        *_FLAGS[1:],
    ],
    "ix_articles_queue_by_published": ["relevant", "review_state", "published", "id", *_FLAGS],
    "ix_articles_queue_any_state": ["relevant", "fetched_at", "id", *_FLAGS],
}
_QUEUE_INDEX = "ix_articles_queue"
_QUEUE_INDEX_BEFORE = [
    "relevant",
    "review_state",
    "fetched_at",
    *_FLAGS,
    "source",
    "lang",
    "published",
]
_QUEUE_INDEX_AFTER = [*_QUEUE_INDEX_BEFORE[:3], "id", *_QUEUE_INDEX_BEFORE[3:]]


def _stored(row: str, name: str) -> str:
    """Column `name` of `row` ("new" or "old") as the counts table stores it."""
    return f"coalesce({row}.{name}, '')" if name in _NULLABLE else f"{row}.{name}"


def _values(row: str) -> str:
    return ", ".join(_stored(row, name) for name in _KEY)


def _matches(row: str) -> str:
    return " AND ".join(f"{name} = {_stored(row, name)}" for name in _KEY)


_COLUMNS = ", ".join(_KEY)
# Every write to articles moves one count: the old row's combination down, the new one's up.
_SQLITE_TRIGGERS = {
    "queue_counts_insert": (
        "AFTER INSERT ON articles BEGIN "
        f"INSERT OR IGNORE INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('new')}, 0); "
        f"UPDATE queue_counts SET n = n + 1 WHERE {_matches('new')}; END"
    ),
    "queue_counts_delete": (
        "AFTER DELETE ON articles BEGIN "
        f"UPDATE queue_counts SET n = n - 1 WHERE {_matches('old')}; END"
    ),
    "queue_counts_update": (
        f"AFTER UPDATE OF {_COLUMNS} ON articles BEGIN "
        f"UPDATE queue_counts SET n = n - 1 WHERE {_matches('old')}; "
        f"INSERT OR IGNORE INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('new')}, 0); "
        f"UPDATE queue_counts SET n = n + 1 WHERE {_matches('new')}; END"
    ),
}
_POSTGRES_FUNCTION = f"""
CREATE FUNCTION queue_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE queue_counts SET n = n - 1 WHERE {_matches("OLD")};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values("NEW")}, 1)
        ON CONFLICT ({_COLUMNS}) DO UPDATE SET n = queue_counts.n + 1;
    END IF;
    RETURN NULL;
END $$
"""
_POSTGRES_TRIGGERS = (
    "CREATE TRIGGER queue_counts_insert_delete AFTER INSERT OR DELETE ON articles "
    "FOR EACH ROW EXECUTE FUNCTION queue_counts_track()",
    # An update that leaves every facet column as it was moves no count (and locks none).
    f"CREATE TRIGGER queue_counts_update AFTER UPDATE OF {_COLUMNS} ON articles FOR EACH ROW "
    f"WHEN (({', '.join('OLD.' + c for c in _KEY)}) "
    f"IS DISTINCT FROM ({', '.join('NEW.' + c for c in _KEY)})) "
    "EXECUTE FUNCTION queue_counts_track()",
)


# SQLite title search, rebuilt: the FTS5 trigram index of 0001 indexes each title followed by
# two U+0003 characters and keeps no copy of it (contentless), so every character of a title
# starts an indexed trigram; words of one or two characters are then found through the
# trigrams they begin (a range of the term list, `articles_title_fts_terms`) instead of by
# reading every title. The LIKE still decides what matches (web/queue.py).
_FTS = "articles_title_fts"
_PADDED = "{row}.title || char(3, 3)"
_TITLE_SEARCH = [
    *(f"DROP TRIGGER IF EXISTS {_FTS}_{event}" for event in ("insert", "delete", "update")),
    f"DROP TABLE {_FTS}",
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(title, content='', tokenize='trigram')",
    f"CREATE VIRTUAL TABLE {_FTS}_terms USING fts5vocab({_FTS}, 'row')",
    f"CREATE TRIGGER {_FTS}_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO {_FTS}(rowid, title) VALUES (new.id, {_PADDED.format(row='new')}); END",
    f"CREATE TRIGGER {_FTS}_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title) "
    f"VALUES ('delete', old.id, {_PADDED.format(row='old')}); END",
    f"CREATE TRIGGER {_FTS}_update AFTER UPDATE OF title ON articles BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title) "
    f"VALUES ('delete', old.id, {_PADDED.format(row='old')}); "
    f"INSERT INTO {_FTS}(rowid, title) VALUES (new.id, {_PADDED.format(row='new')}); END",
    f"INSERT INTO {_FTS}(rowid, title) SELECT id, {_PADDED.format(row='articles')} FROM articles",
]
# As 0001 made it (external content, unpadded), for a downgrade.
_TITLE_SEARCH_BEFORE = [
    *(f"DROP TRIGGER IF EXISTS {_FTS}_{event}" for event in ("insert", "delete", "update")),
    f"DROP TABLE IF EXISTS {_FTS}_terms",
    f"DROP TABLE {_FTS}",
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5("
    "title, content='articles', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {_FTS}_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO {_FTS}(rowid, title) VALUES (new.id, new.title); END",
    f"CREATE TRIGGER {_FTS}_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title) VALUES ('delete', old.id, old.title); END",
    f"CREATE TRIGGER {_FTS}_update AFTER UPDATE OF title ON articles BEGIN "
    f"INSERT INTO {_FTS}({_FTS}, rowid, title) VALUES ('delete', old.id, old.title); "
    f"INSERT INTO {_FTS}(rowid, title) VALUES (new.id, new.title); END",
    f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')",
]


# PostgreSQL: pg_trgm finds no word shorter than three characters, so words of one or two
# (Chinese words are mostly two) go through a GIN index of every one- and two-character piece
# of the lowercased title; ILIKE still decides (web/queue.py).
_POSTGRES_GRAMS = [
    "CREATE FUNCTION brwatch_title_grams(title text) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT coalesce(array_agg(DISTINCT substr(lower(title), i, n)), '{}') "
    "FROM generate_series(1, length(lower(title))) AS i, (VALUES (1), (2)) AS g(n) "
    "WHERE i + n - 1 <= length(lower(title)) $$",
    "CREATE INDEX ix_articles_title_grams ON articles USING gin (brwatch_title_grams(title))",
]


def _has_title_search() -> bool:
    """Whether 0001 made the SQLite title index (it needs SQLite 3.34+)."""
    found = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_FTS,)
    )
    return found.first() is not None


def upgrade() -> None:
    op.create_table(
        "queue_counts",
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("review_state", sa.String(length=32), nullable=False),
        sa.Column("reuse_status", sa.String(length=32), nullable=False),
        sa.Column("attribution_link", sa.String(length=16), nullable=False),
        sa.Column("reuse_conflict", sa.Boolean(), nullable=False),
        sa.Column("rights_unmatched", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY),
    )
    op.execute(
        f"INSERT INTO queue_counts ({_COLUMNS}, n) SELECT "
        + ", ".join(f"coalesce({c}, '')" if c in _NULLABLE else c for c in _KEY)
        + f", count(*) FROM articles GROUP BY {', '.join(str(i + 1) for i in range(len(_KEY)))}"
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        if _has_title_search():
            for statement in _TITLE_SEARCH:
                op.execute(statement)
    else:
        op.execute(_POSTGRES_FUNCTION)
        for statement in [*_POSTGRES_TRIGGERS, *_POSTGRES_GRAMS]:
            op.execute(statement)
    for name, columns in _SORT_INDEXES.items():
        op.create_index(name, "articles", columns)
    op.drop_index(_QUEUE_INDEX, table_name="articles")
    op.create_index(_QUEUE_INDEX, "articles", _QUEUE_INDEX_AFTER)


def downgrade() -> None:
    op.drop_index(_QUEUE_INDEX, table_name="articles")
    op.create_index(_QUEUE_INDEX, "articles", _QUEUE_INDEX_BEFORE)
    for name in _SORT_INDEXES:
        op.drop_index(name, table_name="articles")
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if _has_title_search():
            for statement in _TITLE_SEARCH_BEFORE:
                op.execute(statement)
    else:
        for name in ("queue_counts_insert_delete", "queue_counts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON articles")
        op.execute("DROP INDEX IF EXISTS ix_articles_title_grams")
        op.execute("DROP FUNCTION IF EXISTS brwatch_title_grams(text)")
        op.execute("DROP FUNCTION IF EXISTS queue_counts_track()")
    op.drop_table("queue_counts")
