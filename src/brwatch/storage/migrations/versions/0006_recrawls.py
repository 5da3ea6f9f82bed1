"""re-crawls: the content hash of articles, each snapshot's verdict, the crawl frontier

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ALTERs, not a batch: a batch rebuild of articles on SQLite would drop the triggers that
# keep the title search table in step.
def upgrade() -> None:
    op.add_column("articles", sa.Column("content_hash", sa.String(length=64), nullable=True))
    op.add_column("snapshots", sa.Column("rights", sa.JSON(), nullable=True))
    op.create_table(
        "crawl_frontier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lastmod", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "kind", "url"),
    )
    op.create_index(op.f("ix_crawl_frontier_source"), "crawl_frontier", ["source"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crawl_frontier_source"), table_name="crawl_frontier")
    op.drop_table("crawl_frontier")
    with op.batch_alter_table("snapshots") as batch_op:
        batch_op.drop_column("rights")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("content_hash")
