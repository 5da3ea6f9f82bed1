"""`brwatch runs`: the history table with flags, and the `--json` contract line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from brwatch.storage import Database
from brwatch.storage.models import CrawlRun, SourceFlag


def _seed(db: Database) -> None:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with db.session() as session:
        for i in range(3):
            session.add(
                CrawlRun(
                    source="seetao",
                    trigger="schedule",
                    status="ok",
                    started_at=start + timedelta(hours=i),
                    finished_at=start + timedelta(hours=i, minutes=2),
                    pages=10 + i,
                    items=i,
                    errors={"timeout": i} if i else {},
                )
            )
        session.add(
            CrawlRun(
                source="xinhua",
                trigger="manual",
                status="killed",
                started_at=start,
                pages=1,
                finished_at=start + timedelta(hours=1),
                errors={"http_5xx": 4},
            )
        )
        session.add(
            CrawlRun(source="xinhua", status="running", started_at=start + timedelta(hours=5))
        )
        session.add(
            SourceFlag(
                source="xinhua", kind="error_rate", detail="error rate 80% over the last 2 runs"
            )
        )


def test_runs_json_lines_follow_the_contract(brwatch, db_url: str) -> None:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    _seed(db)
    db.dispose()
    result = brwatch("runs", "--json", db=db_url)
    assert result.returncode == 0, result
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    # The contract's keys, then the extensions of issue 17 (pages changed, what caps left out).
    assert all(
        list(line)
        == ["source", "started_at", "finished_at", "status", "pages", "items", "errors",
            "changed", "left_out"]
        for line in lines
    )  # fmt: skip
    newest, *_ = lines
    assert (
        newest["source"] == "xinhua"
        and newest["status"] == "running"
        and newest["finished_at"] is None
    )
    seetao = [line for line in lines if line["source"] == "seetao"]
    assert seetao[0] == {
        "source": "seetao",
        "started_at": "2026-11-01T10:00:00+00:00",
        "finished_at": "2026-11-01T10:02:00+00:00",
        "status": "ok",
        "pages": 12,
        "items": 2,
        "errors": {"timeout": 2},
        "changed": 0,
        "left_out": {},
    }
    assert all(datetime.fromisoformat(line["started_at"]).tzinfo for line in lines)


def test_runs_filters_by_source_and_limit(brwatch, sqlite_db: Database) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_db)
    result = brwatch("runs", "--json", "--source", "seetao", "--limit", "2", db=sqlite_db.url)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["started_at"][11:16] for line in lines] == ["10:00", "09:00"]
    everything = brwatch("runs", "--json", "--limit", "0", db=sqlite_db.url)
    assert len(everything.stdout.splitlines()) == 5
    negative = brwatch("runs", "--limit", "-1", db=sqlite_db.url)
    assert negative.returncode == 2 and "--limit" in negative.stderr


def test_runs_table_shows_runs_and_flags(brwatch, sqlite_db: Database) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_db)
    result = brwatch("runs", db=sqlite_db.url, env={"COLUMNS": "160"})
    assert result.returncode == 0, result
    assert "seetao" in result.stdout and "killed" in result.stdout and "http_5xx 4" in result.stdout
    assert "xinhua: error_rate" in result.stdout and "error rate 80%" in result.stdout
    empty = brwatch("runs", "--source", "nobody", db=sqlite_db.url)
    assert empty.returncode == 0 and "no crawl runs" in empty.stdout
