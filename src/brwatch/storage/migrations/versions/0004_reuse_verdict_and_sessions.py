"""the reuse verdict stored with each article (what every surface shows); server-side web sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_QUEUE_OWN = [
    "relevant",
    "review_state",
    "fetched_at",
    "rights_status",
    "rights_conflict",
    "rights_unmatched",
    "attribution_link",
    "source",
    "lang",
    "published",
]
_QUEUE_LANG_OWN = [
    "relevant",
    "review_state",
    "lang",
    "published",
    "rights_status",
    "rights_conflict",
    "rights_unmatched",
    "attribution_link",
]


def _reuse(columns: list[str]) -> list[str]:
    names = {"rights_status": "reuse_status", "rights_conflict": "reuse_conflict"}
    return [names.get(name, name) for name in columns]


# Plain ALTERs, not a batch: a batch rebuild of articles on SQLite would drop the triggers that
# keep the title search table in step.
def upgrade() -> None:
    op.add_column("articles", sa.Column("reuse_rights", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("reuse_status", sa.String(length=32), nullable=True))
    op.add_column(
        "articles",
        sa.Column("reuse_conflict", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "articles",
        sa.Column("reuse_basis", sa.String(length=64), server_default="", nullable=False),
    )
    # Until recomputed (reuse_basis empty: the first reader does it), the page's own verdict.
    op.execute("UPDATE articles SET reuse_status = rights_status, reuse_conflict = rights_conflict")
    op.create_index(op.f("ix_articles_reuse_status"), "articles", ["reuse_status"])
    op.create_index(op.f("ix_articles_reuse_basis"), "articles", ["reuse_basis"])
    op.drop_index("ix_articles_queue", table_name="articles")
    op.drop_index("ix_articles_queue_lang", table_name="articles")
    op.create_index("ix_articles_queue", "articles", _reuse(_QUEUE_OWN))
    op.create_index("ix_articles_queue_lang", "articles", _reuse(_QUEUE_LANG_OWN))

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_articles_queue_lang", table_name="articles")
    op.drop_index("ix_articles_queue", table_name="articles")
    op.create_index("ix_articles_queue", "articles", _QUEUE_OWN)
    op.create_index("ix_articles_queue_lang", "articles", _QUEUE_LANG_OWN)
    op.drop_index(op.f("ix_articles_reuse_basis"), table_name="articles")
    op.drop_index(op.f("ix_articles_reuse_status"), table_name="articles")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("reuse_basis")
        batch_op.drop_column("reuse_conflict")
        batch_op.drop_column("reuse_status")
        batch_op.drop_column("reuse_rights")
