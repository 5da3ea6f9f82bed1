"""/metrics: what it reports from the database, who may read it, and the documented alert rules
(checked and exercised with the real promtool from Debian's prometheus package)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from brwatch.metrics import build_registry
from brwatch.metrics.runs import RunTotalsCache
from brwatch.schedule.heartbeats import beat
from brwatch.storage import Database
from brwatch.storage.models import CrawlRun, SourceFlag
from brwatch.web import WebSettings, create_app
from tests.conftest import ROOT
from tests.web_data import add_article

OPERATIONS_DOC = ROOT / "docs" / "operations.md"
SOURCES = """\
sources:
  - name: alpha
    start_urls: [https://alpha.example/]
    schedule: every 30m
  - name: beta
    start_urls: [https://beta.example/]
    schedule: "0 */6 * * *"
"""


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: install Debian's prometheus package (.ci/run does)"
    return path


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found[name, tuple(sorted(labels.items()))]


def add_run(db: Database, source: str, status: str, started: datetime, **fields: object) -> None:
    finished = None if status == "running" else started + timedelta(minutes=5)
    with db.session() as session:
        session.add(
            CrawlRun(
                source=source,
                status=status,
                started_at=started,
                finished_at=finished,
                **fields,
            )
        )


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES)
    return path


def test_metrics_report_the_database(db: Database, sources_file: Path) -> None:
    now = datetime.now(UTC)
    add_run(db, "alpha", "ok", now - timedelta(days=5), pages=10, items=4, errors={"dns": 1})
    add_run(db, "alpha", "failed", now - timedelta(hours=2), pages=3, errors={"timeout": 2})
    add_run(db, "alpha", "ok", now - timedelta(hours=1), pages=7, items=2, errors={"dns": 3})
    add_run(db, "alpha", "running", now - timedelta(minutes=1))
    add_run(db, "beta", "killed", now - timedelta(hours=3), pages=1, errors={"http_5xx": 1})
    with db.session() as session:
        session.add(SourceFlag(source="beta", kind="no_items", detail="no items in 3 runs"))
    # Two flagged items waiting; the older has waited 30 hours. A decided and an unflagged one.
    add_article(db, 1, first_seen_at=now - timedelta(hours=30), fetched_at=now)
    add_article(db, 2, rights_status="attribution_required", attribution_link="missing")
    add_article(db, 3, review_state="cleared", first_seen_at=now - timedelta(days=90))
    add_article(db, 4, rights_status="open_license", fetched_at=now - timedelta(days=1))
    beat(db, "host-a:1:abc", "scheduler")
    beat(db, "host-b:2:def", "worker", now=now - timedelta(minutes=10))

    found = samples(generate_latest(build_registry(db, str(sources_file))).decode())

    newest_ok = (now - timedelta(hours=1) + timedelta(minutes=5)).timestamp()
    last_ok = value(found, "brwatch_source_last_success_timestamp_seconds", source="alpha")
    assert last_ok == pytest.approx(newest_ok, abs=1)
    assert ("brwatch_source_last_success_timestamp_seconds", (("source", "beta"),)) not in found
    assert value(found, "brwatch_source_last_run_pages", source="alpha") == 7
    assert value(found, "brwatch_source_last_run_items", source="alpha") == 2
    assert value(found, "brwatch_source_schedule_period_seconds", source="alpha") == 1800
    assert value(found, "brwatch_source_schedule_period_seconds", source="beta") == 6 * 3600
    assert value(found, "brwatch_sources_file_loaded") == 1
    assert value(found, "brwatch_source_flags", source="beta", kind="no_items") == 1
    assert value(found, "brwatch_crawl_runs_total", source="alpha", status="ok") == 2
    assert value(found, "brwatch_crawl_runs_total", source="alpha", status="failed") == 1
    assert value(found, "brwatch_crawl_runs_total", source="beta", status="killed") == 1
    assert value(found, "brwatch_crawl_runs_running", source="alpha") == 1
    assert value(found, "brwatch_crawl_pages_total", source="alpha") == 20
    assert value(found, "brwatch_crawl_items_total", source="alpha") == 6
    assert value(found, "brwatch_crawl_errors_total", source="alpha", kind="dns") == 4
    assert value(found, "brwatch_crawl_errors_total", source="alpha", kind="timeout") == 2
    assert value(found, "brwatch_crawl_errors_total", source="beta", kind="http_5xx") == 1
    assert value(found, "brwatch_review_queue_items", status="prohibited") == 1
    assert value(found, "brwatch_review_queue_items", status="attribution_required") == 1
    age = value(found, "brwatch_review_queue_oldest_pending_age_seconds")
    assert 30 * 3600 - 60 < age < 30 * 3600 + 600
    assert value(found, "brwatch_articles", source="example", status="prohibited") == 2
    today = now.date().isoformat()
    yesterday = (now - timedelta(days=1)).date().isoformat()
    assert value(found, "brwatch_verdicts_by_day", day=today, status="prohibited") == 1
    assert value(found, "brwatch_verdicts_by_day", day=yesterday, status="open_license") == 1
    assert value(found, "brwatch_attribution_links", outcome="missing") == 1
    assert value(found, "brwatch_attribution_links", outcome="not_checked") == 3
    assert value(found, "brwatch_processes_alive", role="scheduler") == 1
    assert value(found, "brwatch_processes_alive", role="worker") == 0  # 10 minutes silent
    beats = {labels for name, labels in found if name.startswith("brwatch_process_heartbeat")}
    assert len(beats) == 2


def test_run_counters_only_grow_across_the_daily_cutoff(sqlite_db: Database) -> None:
    day1 = datetime(2026, 12, 1, 12, tzinfo=UTC)
    add_run(sqlite_db, "alpha", "ok", day1 - timedelta(days=5), pages=5, errors={"dns": 1})
    add_run(sqlite_db, "alpha", "ok", day1 - timedelta(hours=1), pages=3, errors={"dns": 2})
    # A run that started long ago and is still running (its host vanished).
    add_run(sqlite_db, "alpha", "running", day1 - timedelta(days=4))
    cache = RunTotalsCache()
    with sqlite_db.session() as session:
        first = cache.totals(session, day1)
    assert first.pages["alpha"] == 8 and first.errors["alpha", "dns"] == 3
    # The vanished run is closed as failed; a new run finishes the next day.
    with sqlite_db.session() as session:
        stale = session.query(CrawlRun).filter_by(status="running").one()
        stale.status, stale.pages, stale.errors = "failed", 2, {"connect": 1}
    add_run(sqlite_db, "alpha", "ok", day1 + timedelta(hours=20), pages=4)
    with sqlite_db.session() as session:
        later = cache.totals(session, day1 + timedelta(days=1))
    assert later.pages["alpha"] == 14
    assert later.errors["alpha", "connect"] == 1
    assert later.runs["alpha", "failed"] == 1 and later.runs["alpha", "ok"] == 3
    for key, n in first.pages.items():
        assert later.pages[key] >= n


@pytest.fixture
def app_db(sqlite_db: Database) -> Database:
    add_article(sqlite_db, 1)
    return sqlite_db


def test_metrics_answer_loopback_only_without_a_token(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRWATCH_METRICS_TOKEN", raising=False)
    app = create_app(app_db, WebSettings(secret_key="metrics"))
    local = TestClient(app, client=("127.0.0.1", 40000))
    response = local.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "brwatch_review_queue_items" in response.text
    assert TestClient(app, client=("::1", 40000)).get("/metrics").status_code == 200
    remote = TestClient(app, client=("203.0.113.7", 40000))
    assert remote.get("/metrics").status_code == 401
    # Through a proxy on this machine, the request only looks local.
    proxied = local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.status_code == 401
    assert "brwatch_" not in proxied.text


def test_metrics_ask_for_the_bearer_token_when_one_is_set(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRWATCH_METRICS_TOKEN", "s3cret-token")
    app = create_app(app_db, WebSettings(secret_key="metrics"))
    remote = TestClient(app, client=("203.0.113.7", 40000))
    local = TestClient(app, client=("127.0.0.1", 40000))
    assert local.get("/metrics").status_code == 401  # the token applies to loopback too
    refused = remote.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    allowed = remote.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert allowed.status_code == 200 and "brwatch_articles" in allowed.text


def test_metrics_of_an_unreachable_database_are_503(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'gone.db'}")
    app = create_app(db, WebSettings(secret_key="metrics"))
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # a directory where the database was: every read fails
    db.dispose()
    response = TestClient(app, client=("127.0.0.1", 1)).get("/metrics")
    assert response.status_code == 503
    assert "database" in response.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def metrics_server(tmp_path: Path, sources_file: Path) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path / 'brwatch.db'}"
    db = Database(db_url)
    add_run(db, "alpha", "ok", datetime.now(UTC) - timedelta(hours=1), pages=3, items=1)
    add_article(db, 1)
    db.dispose()
    port = _free_port()
    env = {**os.environ, "BRWATCH_METRICS_TOKEN": "t0ken"}
    cli = [sys.executable, "-m", "brwatch.cli", "--db", db_url, "--sources", str(sources_file)]
    process = subprocess.Popen(
        [*cli, "metrics", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        for _ in range(200):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


@pytest.mark.slow
def test_brwatch_metrics_listen_serves_valid_exposition(metrics_server: str) -> None:
    assert httpx.get(metrics_server).status_code == 401
    response = httpx.get(metrics_server, headers={"Authorization": "Bearer t0ken"})
    assert response.status_code == 200
    found = samples(response.text)
    assert value(found, "brwatch_crawl_pages_total", source="alpha") == 3
    # promtool lints the exposition format itself (names, types, help, units).
    lint = subprocess.run(
        [promtool(), "check", "metrics"], input=response.content, capture_output=True
    )
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def test_brwatch_metrics_prints_once_without_listen(
    tmp_path: Path, brwatch, sources_file: Path
) -> None:  # type: ignore[no-untyped-def]
    result = brwatch("--db", f"sqlite:///{tmp_path / 'b.db'}", "--sources", str(sources_file),
                     "metrics")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert value(samples(result.stdout), "brwatch_source_schedule_period_seconds",
                 source="beta") == 21600  # fmt: skip
    bad = brwatch("metrics", "--listen", "localhost:http")
    assert bad.returncode == 2 and "port must be a number" in bad.stderr


def _alert_rules() -> str:
    text = OPERATIONS_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    rules = [block for block in blocks if block.lstrip().startswith("groups:")]
    assert len(rules) == 1, "docs/operations.md must hold one alert rules block"
    return rules[0]


def test_documented_alert_rules_pass_promtool(tmp_path: Path) -> None:
    rules = tmp_path / "brwatch-rules.yml"
    rules.write_text(_alert_rules())
    checked = subprocess.run([promtool(), "check", "rules", str(rules)], capture_output=True)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    assert b"SUCCESS: 7 rules found" in checked.stdout


def test_documented_alerts_fire_when_they_should(tmp_path: Path) -> None:
    """promtool test rules: a stale source, no scheduler and an aged queue raise their alerts;
    a fresh source and a live scheduler do not."""
    (tmp_path / "rules.yml").write_text(_alert_rules())
    period = 1800
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    # fresh: succeeded at t=0 (Unix 0 is the test's start); stale: 3 hours before.
                    {"series": 'brwatch_source_last_success_timestamp_seconds{source="fresh"}',
                     "values": "0+60x120"},
                    {"series": 'brwatch_source_last_success_timestamp_seconds{source="stale"}',
                     "values": "-10800x120"},
                    {"series": 'brwatch_source_schedule_period_seconds{source="fresh"}',
                     "values": f"{period}x120"},
                    {"series": 'brwatch_source_schedule_period_seconds{source="stale"}',
                     "values": f"{period}x120"},
                    {"series": 'brwatch_processes_alive{role="scheduler"}', "values": "1x10 0x60"},
                    {"series": "brwatch_review_queue_oldest_pending_age_seconds",
                     "values": "300000x120"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "30m",
                        "alertname": "BrwatchSourceStale",
                        "exp_alerts": [
                            {
                                "exp_labels": {"source": "stale", "severity": "warning"},
                                "exp_annotations": {
                                    "summary": "stale: no successful crawl for 3 schedule periods",
                                    "description": "Check `brwatch runs --source stale` for the "
                                    "failures.",
                                },
                            }
                        ],
                    },
                    {"eval_time": "5m", "alertname": "BrwatchNoActiveScheduler", "exp_alerts": []},
                    {
                        "eval_time": "30m",
                        "alertname": "BrwatchNoActiveScheduler",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "critical"},
                                "exp_annotations": {
                                    "summary": "No brwatch scheduler is running",
                                    "description": "Start `brwatch schedule` (see "
                                    "docs/scheduling.md).",
                                },
                            }
                        ],
                    },
                    {"eval_time": "30m", "alertname": "BrwatchSourceNeverCrawled",
                     "exp_alerts": []},
                ],
            }
        ],
    }  # fmt: skip
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    run = subprocess.run(
        [promtool(), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True
    )
    assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()


def test_every_metric_is_documented(sqlite_db: Database, sources_file: Path) -> None:
    add_run(sqlite_db, "alpha", "ok", datetime.now(UTC), pages=1, errors={"dns": 1})
    families = text_string_to_metric_families(
        generate_latest(build_registry(sqlite_db, str(sources_file))).decode()
    )
    doc = OPERATIONS_DOC.read_text(encoding="utf-8")
    for family in families:
        name = family.name + ("_total" if family.type == "counter" else "")
        assert f"`{name}`" in doc, f"{name} is not in docs/operations.md"
