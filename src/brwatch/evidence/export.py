"""`brwatch export --warc`: every stored snapshot (of some sources, fetched in a period) as one
gzipped WARC file, streamed in id order so 100,000 snapshots take the memory of a few."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from brwatch.evidence.atomic import atomic_output
from brwatch.evidence.warc import (
    EvidenceError,
    SnapshotWarcWriter,
    WarcSummary,
    snapshot_query,
    stream_snapshots,
)
from brwatch.reports.model import ReportError
from brwatch.reports.period import Moment, Period
from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot


def export_warc(
    db: Database,
    path: Path,
    *,
    sources: Sequence[str] = (),
    since: Moment = None,
    until: Moment = None,
) -> WarcSummary:
    """Write the snapshots fetched in ``[since, until]`` (bare dates are whole UTC days) of
    ``sources`` (all when empty) to ``path``; the file appears only once complete."""
    try:
        period = Period.parse(since, until, datetime.now(UTC))
    except ReportError as exc:
        raise EvidenceError(str(exc)) from exc
    query = snapshot_query().where(Snapshot.fetched_at < period.until).order_by(Snapshot.id)
    if period.since is not None:
        query = query.where(Snapshot.fetched_at >= period.since)
    if sources:
        query = query.where(Article.source.in_(list(sources)))
    info = {
        "format": "WARC File Format 1.1",
        "description": "brwatch snapshots: each page as fetched, with its rights verdict",
        "database": db.display_url,
        "sources": ", ".join(sources) or "all",
        "period": f"{period.since.isoformat() if period.since else 'start'} .. "
        f"{period.until.isoformat()}",
    }
    if not path.parent.is_dir():
        raise EvidenceError(f"cannot write {path}: folder {path.parent} does not exist")
    with atomic_output(path) as output, db.session() as session:
        writer = SnapshotWarcWriter(output, info)
        for row in stream_snapshots(session, query):
            writer.add(row)
    return writer.summary
