"""`brwatch status` and the admins' status page show the cluster as the database and Redis
see it: the active scheduler, workers with their source, the queue, leases and gates."""

from __future__ import annotations

import json
from typing import Any

from brwatch.cluster import frontier, jobs
from brwatch.cluster.status import cluster_status
from brwatch.schedule import heartbeats
from brwatch.storage import Database
from tests.web_data import login, make_client, web_fixture  # noqa: F401  (the `web` fixture)

REDIS_ENV = "BRWATCH_REDIS_URL"


def _busy_cluster(db: Database) -> None:
    heartbeats.beat(db, "sched-1", "scheduler", current_source="active")
    heartbeats.beat(db, "sched-2", "scheduler", current_source="standby")
    heartbeats.beat(db, "w1", "worker", current_source="alpha")
    with db.session() as session:
        jobs.enqueue(session, "alpha", "sched-1")
        jobs.enqueue(session, "beta", "sched-1")
        job = jobs.claim(session, "w1", lease=60)
        assert job is not None and job.source == "alpha"
        frontier.claim(session, ["https://a.example/1", "https://a.example/2"], "alpha", "w1",
                       lease=60, freshness=60)  # fmt: skip


def test_status_reports_scheduler_workers_queue_and_leases(db: Database) -> None:
    _busy_cluster(db)
    status = cluster_status(db)
    assert status.active_scheduler == "sched-1"
    doing = {m.name: (m.role, m.doing, m.alive) for m in status.members}
    assert doing["w1"] == ("worker", "alpha", True)
    assert (status.queue.queued, status.queue.leased) == (1, 1)
    [lease] = status.leases
    assert (lease.source, lease.worker, lease.urls_leased) == ("alpha", "w1", 2)
    assert 0 < lease.expires_in <= 60
    assert status.urls == {"leased": 2}


def test_status_cli_json(brwatch: Any, db_url: str) -> None:
    db = Database(db_url)
    _busy_cluster(db)
    db.dispose()
    result = brwatch("status", "--json", "--redis", "redis://127.0.0.1:6379/0", db=db_url)
    assert result.returncode == 0, result
    shown = json.loads(result.stdout)
    assert shown["active_scheduler"] == "sched-1"
    assert shown["queue"]["queued"] == 1 and shown["leases"][0]["worker"] == "w1"
    assert shown["gates_error"] is None


def test_the_status_page_is_for_admins(web: Any, monkeypatch: Any) -> None:
    app, db, _ = web
    monkeypatch.delenv(REDIS_ENV, raising=False)
    _busy_cluster(db)
    admin = make_client(app)
    login(admin, "adam")
    page = admin.get("/status")
    assert page.status_code == 200
    assert "sched-1" in page.text and "alpha" in page.text
    editor = make_client(app)
    login(editor, "edith")
    assert editor.get("/status").status_code == 403
