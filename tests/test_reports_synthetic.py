"""The synthetic database the scale benchmarks use: valid rows, reports agree with plain counts."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from brwatch.reports import build_report
from brwatch.storage import Database
from brwatch.storage.models import Article, AuditEvent, Grant

# The generator is a benchmark script, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic_db import populate


def test_populate_then_report_matches_plain_counts(db: Database) -> None:
    counts = populate(db.url, 1500, seed=7)
    assert counts["articles"] == 1500 and counts["snapshots"] == 1500
    report = build_report(db, None, None, now=datetime(2026, 11, 29, tzinfo=UTC))
    with db.session() as session:
        statuses = Counter(
            dict(
                session.execute(
                    # The stored reuse verdicts (the report brought them up to date).
                    select(Article.reuse_status, func.count())
                    .where(Article.relevant)
                    .group_by(Article.reuse_status)
                ).all()
            )
        )
        decisions = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "decide")
        )
        # Explicit ids must not leave PostgreSQL's sequences behind: a normal insert still works.
        session.add(Grant(publisher="Later", scope="all"))
        session.flush()
    assert report.totals["articles"] == 1500
    assert report.totals["relevant"] == sum(statuses.values())
    assert {k: v for k, v in report.totals["by_status"].items() if v} == dict(statuses)
    assert report.decisions["total"] == decisions
    assert {e["kind"] for e in report.exceptions} == {
        "cleared_against_rights",
        "reused_against_rights",
        "reused_without_attribution_link",
        "grant_used_after_expiry",
    }
    assert len(report.items) == report.items_total > 0
