"""distributed crawling: crawl jobs, the URL frontier, fallback politeness gates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PENDING = sa.text("state IN ('queued', 'leased')")


def upgrade() -> None:
    with op.batch_alter_table("process_heartbeats") as batch:
        batch.add_column(sa.Column("current_source", sa.String(length=100), nullable=True))
    op.create_table(
        "crawl_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enqueued_by", sa.String(length=200), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_crawl_jobs_pending",
        "crawl_jobs",
        ["source"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_crawl_jobs_due", "crawl_jobs", ["state", "due_at"])
    op.create_table(
        "frontier_urls",
        sa.Column("url_key", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url_key"),
    )
    op.create_index(op.f("ix_frontier_urls_source"), "frontier_urls", ["source"])
    op.create_index("ix_frontier_urls_worker", "frontier_urls", ["worker", "state"])
    op.create_index("ix_frontier_urls_lease", "frontier_urls", ["state", "lease_expires_at"])
    op.create_table(
        "politeness_gates",
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("next_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_key"),
    )


def downgrade() -> None:
    op.drop_table("politeness_gates")
    op.drop_index("ix_frontier_urls_lease", table_name="frontier_urls")
    op.drop_index("ix_frontier_urls_worker", table_name="frontier_urls")
    op.drop_index(op.f("ix_frontier_urls_source"), table_name="frontier_urls")
    op.drop_table("frontier_urls")
    op.drop_index("ix_crawl_jobs_due", table_name="crawl_jobs")
    op.drop_index("ux_crawl_jobs_pending", table_name="crawl_jobs")
    op.drop_table("crawl_jobs")
    with op.batch_alter_table("process_heartbeats") as batch:
        batch.drop_column("current_source")
