"""articles.rights_unmatched: a rights-like sentence no rule matched flags the article for review

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_QUEUE = [
    "relevant",
    "review_state",
    "fetched_at",
    "rights_status",
    "rights_conflict",
    "attribution_link",
    "source",
    "lang",
    "published",
]
_QUEUE_LANG = [
    "relevant",
    "review_state",
    "lang",
    "published",
    "rights_status",
    "rights_conflict",
    "attribution_link",
]


def _with_unmatched(columns: list[str]) -> list[str]:
    at = columns.index("rights_conflict") + 1
    return [*columns[:at], "rights_unmatched", *columns[at:]]


# Plain ALTERs, not a batch: a batch rebuild of articles on SQLite would drop the triggers that
# keep the title search table in step.
def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column("rights_unmatched", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.drop_index("ix_articles_queue", table_name="articles")
    op.drop_index("ix_articles_queue_lang", table_name="articles")
    op.create_index("ix_articles_queue", "articles", _with_unmatched(_QUEUE))
    op.create_index("ix_articles_queue_lang", "articles", _with_unmatched(_QUEUE_LANG))


def downgrade() -> None:
    op.drop_index("ix_articles_queue_lang", table_name="articles")
    op.drop_index("ix_articles_queue", table_name="articles")
    op.create_index("ix_articles_queue", "articles", _QUEUE)
    op.create_index("ix_articles_queue_lang", "articles", _QUEUE_LANG)
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("rights_unmatched")
