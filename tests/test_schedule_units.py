"""The scheduler's parts on their own: triggers, settings, leases, monitoring, run settling."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError, OperationalError

from brwatch.schedule.children import ChildResult, run_child
from brwatch.schedule.daemon import JOB_TABLE, SchedulerDaemon
from brwatch.schedule.jobs import (
    Runtime,
    command_argv,
    crawl_source,
    install,
    maintenance,
    missing_verb,
)
from brwatch.schedule.leases import LeaseBook
from brwatch.schedule.monitor import (
    ERROR_RATE,
    ITEM_DROP,
    NO_ITEMS,
    current_flags,
    evaluate_source,
    judge,
)
from brwatch.schedule.records import (
    close_vanished_runs,
    newest_run_id,
    recent_runs,
    run_json,
    runs_of_child,
    settle_runs,
)
from brwatch.schedule.retry import with_db_retry
from brwatch.schedule.settings import SchedulerSettings
from brwatch.schedule.triggers import build_trigger, period_seconds
from brwatch.sources import parse_schedule
from brwatch.storage import Database
from brwatch.storage.articles import settle_orphaned_runs
from brwatch.storage.models import CrawlRun, SchedulerLease

DOCS = Path(__file__).resolve().parent.parent / "docs" / "scheduling.md"


# --- triggers ---------------------------------------------------------------------------------


def test_periods_of_intervals_and_cron_lines() -> None:
    assert period_seconds(parse_schedule("every 6h"), "UTC") == 6 * 3600
    assert period_seconds(parse_schedule("*/30 * * * *"), "UTC") == 1800
    assert period_seconds(parse_schedule("0 9,17 * * *"), "UTC") == 8 * 3600


def test_jitter_is_capped_to_a_fifth_of_the_period() -> None:
    assert build_trigger(parse_schedule("every 10s"), "UTC", jitter=60).jitter == 2
    assert build_trigger(parse_schedule("every 6h"), "UTC", jitter=60).jitter == 60
    assert build_trigger(parse_schedule("every 6h"), "UTC", jitter=0).jitter is None


def test_crontab_weekdays_keep_their_crontab_meaning() -> None:
    trigger = build_trigger(parse_schedule("0 9 * * 1-5"), "UTC")
    saturday = datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, saturday).strftime("%a %H:%M") == "Mon 09:00"


# --- settings ---------------------------------------------------------------------------------


def test_settings_come_from_the_environment_and_are_checked() -> None:
    settings = SchedulerSettings.load(
        {"BRWATCH_SCHEDULE_CRAWL_TIME_LIMIT": "12.5", "BRWATCH_SCHEDULE_FLAG_EMPTY_RUNS": "4"}
    )
    assert settings.crawl_time_limit == 12.5 and settings.flag_empty_runs == 4
    with pytest.raises(ValueError, match="crawl_time_limit"):
        SchedulerSettings.load({"BRWATCH_SCHEDULE_CRAWL_TIME_LIMIT": "soon"})
    with pytest.raises(ValueError, match="jitter"):
        SchedulerSettings().with_values({"jitter": "-1"})


def test_every_setting_is_documented() -> None:
    documented = (DOCS.parent / "settings.md").read_text()
    missing = [
        n for n in SchedulerSettings.names() if f"`BRWATCH_SCHEDULE_{n.upper()}`" not in documented
    ]
    assert not missing, f"docs/settings.md does not describe {missing}"


def test_commands_are_split_and_filled_in() -> None:
    argv = command_argv("{python} -m brwatch.cli crawl --source {source}", source="a b")
    assert argv[1:] == ["-m", "brwatch.cli", "crawl", "--source", "a b"]
    with pytest.raises(ValueError, match="placeholder"):
        command_argv("crawl {sauce}", source="x")
    assert missing_verb(["python", "-m", "brwatch.cli", "no-such-verb"]) == "no-such-verb"
    assert missing_verb(["python", "-m", "brwatch.cli", "runs"]) is None
    assert missing_verb(["/bin/true"]) is None


def test_a_recheck_whose_verb_is_missing_is_skipped_with_a_clear_log(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = SchedulerSettings().with_values(
        {"rights_recheck_command": "{python} -m brwatch.cli no-such-verb"}
    )
    install(Runtime(sqlite_db, settings, LeaseBook(sqlite_db, "test", 60), child_env={}))
    try:
        maintenance("rights_recheck")
    finally:
        install(None)
    assert "rights_recheck skipped: this installation has no `brwatch no-such-verb`" in caplog.text


def test_a_crawl_whose_lease_was_taken_over_is_stopped(sqlite_db: Database) -> None:
    settings = SchedulerSettings().with_values(
        {"crawl_command": "{python} -c 'import time; time.sleep(60)'", "lease_ttl": "1"}
    )
    install(Runtime(sqlite_db, settings, LeaseBook(sqlite_db, "us", 1), child_env={}))
    try:
        crawl = threading.Thread(target=crawl_source, args=("a",))
        crawl.start()
        deadline = time.monotonic() + 10
        while LeaseBook(sqlite_db, "them", 60).holder("crawl:a") != "us":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with sqlite_db.session() as session:  # as if our renewals had failed past the lease's life
            session.execute(
                update(SchedulerLease).values(
                    owner="them", expires_at=datetime.now(UTC) + timedelta(minutes=1)
                )
            )
        crawl.join(timeout=20)
        assert not crawl.is_alive()
    finally:
        install(None)
    [run] = recent_runs(sqlite_db, "a")
    assert run.status == "killed" and "took over" in run.log_tail


# --- leases (the cross-process guard) --------------------------------------------------------


def test_a_lease_has_one_holder_and_spaces_out_fires(db: Database) -> None:
    first, second = LeaseBook(db, "first", ttl=60), LeaseBook(db, "second", ttl=60)
    assert first.claim("crawl:a", min_gap=0)
    assert not second.claim("crawl:a", min_gap=0)  # held
    assert second.claim("crawl:b", min_gap=0)  # other jobs are independent
    first.release("crawl:a")
    assert not second.claim("crawl:a", min_gap=30)  # the same fire, seen late by another scheduler
    assert second.claim("crawl:a", min_gap=0)  # free, and far enough from the last claim


def test_an_expired_lease_can_be_taken_over(db: Database) -> None:
    dead = LeaseBook(db, "dead", ttl=0)
    assert dead.claim("crawl:a", min_gap=0)
    assert LeaseBook(db, "alive", ttl=60).claim("crawl:a", min_gap=0)
    assert not dead.renew("crawl:a")  # the old holder learns it lost the lease


def _daemon(db: Database, tmp_path: Path) -> SchedulerDaemon:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - name: a\n    start_urls: [http://127.0.0.2/]\n")
    return SchedulerDaemon(db, sources, SchedulerSettings())


def test_two_schedulers_racing_to_create_the_job_table_both_go_on(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race, made certain: both checked "no table" before either created it, so the second
    # CREATE fails (OperationalError on SQLite, ProgrammingError on PostgreSQL).
    first, second = _daemon(db, tmp_path), _daemon(db, tmp_path)
    for daemon in (first, second):
        table, create = daemon.job_store.jobs_t, daemon.job_store.jobs_t.create
        monkeypatch.setattr(table, "create", lambda bind, checkfirst, create=create: create(bind))
    first._create_job_table()
    second._create_job_table()
    assert inspect(db.engine).has_table(JOB_TABLE)


def test_a_job_table_that_cannot_be_created_is_an_error(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = _daemon(sqlite_db, tmp_path)

    def refuse(bind: object, checkfirst: bool) -> None:
        raise OperationalError("CREATE TABLE apscheduler_jobs", {}, Exception("disk I/O error"))

    monkeypatch.setattr(daemon.job_store.jobs_t, "create", refuse)
    with pytest.raises(OperationalError, match="disk I/O error"):
        daemon._create_job_table()


# --- children and run records -----------------------------------------------------------------


def _result(ending: str = "exited", returncode: int | None = 0) -> ChildResult:
    return ChildResult(
        pid=999999, returncode=returncode, ending=ending, log_tail="the output", seconds=1.0
    )


def test_a_child_that_recorded_nothing_gets_a_run(db: Database) -> None:
    launched = datetime.now(UTC)
    [ok_id] = settle_runs(db, "a", [], _result(), launched)
    [crashed_id] = settle_runs(db, "a", [], _result(returncode=3), launched)
    [killed_id] = settle_runs(db, "a", [], _result("time_limit", -15), launched)
    with db.session() as session:
        ok, crashed, killed = (session.get(CrawlRun, i) for i in (ok_id, crashed_id, killed_id))
        assert (ok.status, crashed.status, killed.status) == ("ok", "failed", "killed")
        assert "exited with status 3" in crashed.log_tail and "time limit" in killed.log_tail
        assert all(run.trigger == "schedule" and run.finished_at for run in (ok, crashed, killed))


def test_a_killed_childs_own_run_keeps_its_counts(db: Database) -> None:
    with db.session() as session:
        run = CrawlRun(
            source="a", status="running", pages=7, items=3, errors={"timeout": 1}, pid=999999
        )
        session.add(run)
        session.flush()
        run_id = run.id
    settle_runs(db, "a", [run_id], _result("stopped", -15), datetime.now(UTC))
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        assert (run.status, run.pages, run.items, run.errors) == ("killed", 7, 3, {"timeout": 1})
        assert "shutting down" in run.log_tail


def test_runs_left_running_by_a_vanished_process_are_failed(sqlite_db: Database) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    with sqlite_db.session() as session:
        here = socket.gethostname()
        session.add_all(
            [
                CrawlRun(source="dead", status="running", host=here, pid=gone.pid),
                CrawlRun(source="alive", status="running", host=here, pid=os.getpid()),
                CrawlRun(source="elsewhere", status="running", host="other-host", pid=gone.pid),
            ]
        )
    [closed] = close_vanished_runs(sqlite_db)
    with sqlite_db.session() as session:
        run = session.get(CrawlRun, closed)
        assert run.source == "dead" and run.status == "failed" and "vanished" in run.log_tail


def test_the_orphan_sweep_spares_the_children_a_scheduler_still_watches(
    sqlite_db: Database,
) -> None:
    """A child that has just crashed is gone before its job settles it: the sweep must leave
    its run to the job (which records "failed" and the exit status), not call it killed."""
    crashed, killed = subprocess.Popen(["true"]), subprocess.Popen(["true"])
    crashed.wait(), killed.wait()
    here = socket.gethostname()
    with sqlite_db.session() as session:
        session.add_all(
            [
                CrawlRun(source="watched", status="running", host=here, pid=crashed.pid),
                CrawlRun(source="orphan", status="running", host=here, pid=killed.pid),
            ]
        )
    with sqlite_db.session() as session:
        [settled] = settle_orphaned_runs(session, spare={crashed.pid})
        assert session.get(CrawlRun, settled).source == "orphan"
    with sqlite_db.session() as session:
        statuses = {run.source: run.status for run in session.query(CrawlRun)}
    assert statuses == {"watched": "running", "orphan": "killed"}


def test_runs_are_found_by_the_childs_process_group(sqlite_db: Database) -> None:
    baseline = newest_run_id(sqlite_db)
    with sqlite_db.session() as session:
        session.add_all(
            [
                CrawlRun(source="a", pid=4242),
                CrawlRun(source="a", pid=1),
                CrawlRun(source="b", pid=4242),
            ]
        )
    assert len(runs_of_child(sqlite_db, "a", baseline, 4242)) == 1


def test_run_child_kills_the_whole_group_at_the_time_limit(tmp_path: Path) -> None:
    script = tmp_path / "spawn.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(tmp_path / 'grandchild')!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    result = run_child(
        [sys.executable, str(script)], env={}, time_limit=1.5, kill_grace=1, tail_chars=100
    )
    assert result.ending == "time_limit" and "started" in result.log_tail
    grandchild = int((tmp_path / "grandchild").read_text())
    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(grandchild)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan is reaped by whoever adopts it, maybe later)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_runs_json_line_has_the_contract_keys_and_zoned_times(sqlite_db: Database) -> None:
    run = CrawlRun(
        source="a",
        status="ok",
        started_at=datetime(2026, 1, 2, 3, 4, 5),
        pages=2,
        items=1,
        errors={},
    )
    line = run_json(run)
    assert list(line) == [
        "source",
        "started_at",
        "finished_at",
        "status",
        "pages",
        "items",
        "errors",
        "changed",
        "left_out",
    ]
    assert line["started_at"] == "2026-01-02T03:04:05+00:00" and line["finished_at"] is None


# --- monitoring -------------------------------------------------------------------------------

SETTINGS = SchedulerSettings()


def _runs(
    *items: int, status: str = "ok", pages: int = 10, errors: dict | None = None
) -> list[CrawlRun]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        CrawlRun(
            source="a",
            status=status,
            items=count,
            pages=pages,
            errors=errors or {},
            started_at=start - timedelta(hours=i),
        )
        for i, count in enumerate(items)
    ]


def _kinds(runs: list[CrawlRun], settings: SchedulerSettings = SETTINGS) -> set[str]:
    return {flag.kind for flag in judge(runs, settings)}


def test_no_items_for_several_runs_is_flagged() -> None:
    assert _kinds(_runs(0, 0, 0, 5)) == {NO_ITEMS}
    assert NO_ITEMS not in _kinds(_runs(0, 0, 4))
    assert NO_ITEMS not in _kinds(_runs(0, 0))  # too little history to say


def test_a_high_error_rate_is_flagged() -> None:
    assert ERROR_RATE in _kinds(_runs(5, 5, pages=2, errors={"timeout": 3, "http_5xx": 1}))
    assert ERROR_RATE not in _kinds(_runs(5, 5, pages=20, errors={"timeout": 1}))
    assert ERROR_RATE in _kinds(_runs(0, 0, status="failed", pages=0))  # failed runs count


def test_a_sharp_drop_against_the_sources_own_history_is_flagged() -> None:
    assert ITEM_DROP in _kinds(_runs(2, 20, 18, 22, 19))
    assert ITEM_DROP not in _kinds(_runs(15, 20, 18, 22, 19))
    assert ITEM_DROP not in _kinds(_runs(2, 20, 18))  # not enough history
    assert ITEM_DROP not in _kinds(
        _runs(2, 20, 18, 22), SETTINGS.with_values({"flag_min_history": 4})
    )


def test_flags_are_stored_listed_and_cleared(db: Database) -> None:
    with db.session() as session:
        session.add_all(_runs(0, 0, 0))
    evaluate_source(db, "a", SETTINGS)
    [flag] = current_flags(db)
    assert (flag.source, flag.kind) == ("a", NO_ITEMS) and flag.to_dict()["raised_at"].endswith(
        "+00:00"
    )
    with db.session() as session:
        session.add(
            CrawlRun(source="a", status="ok", items=4, pages=4, started_at=datetime.now(UTC))
        )
    evaluate_source(db, "a", SETTINGS)
    assert current_flags(db) == []


# --- riding out a lost database connection ----------------------------------------------------


def _operational() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_a_lost_connection_is_retried_and_other_errors_are_not(caplog) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _operational()
        return "done"

    assert with_db_retry("read the runs", flaky, retry_for=30) == "done"
    assert len(calls) == 3
    assert caplog.text.count("database unavailable while trying to read the runs") == 2

    broken = []

    def constraint() -> None:
        broken.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        with_db_retry("store a run", constraint, retry_for=30)
    assert broken == [1]  # not a connection problem: raised at once


def test_a_connection_that_stays_lost_gives_up_without_sleeping_past_the_deadline() -> None:
    calls = []

    def down() -> None:
        calls.append(1)
        raise _operational()

    with pytest.raises(OperationalError):
        with_db_retry("read the runs", down, retry_for=1.0)
    # 0.5 s after the first try, a second; the next pause (1 s) would pass the deadline.
    assert len(calls) == 2
