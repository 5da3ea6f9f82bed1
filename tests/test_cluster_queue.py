"""The distributed crawl's durable parts: the job queue and the URL frontier, with leases and
fencing tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from brwatch.cluster import frontier, jobs
from brwatch.storage import Database
from brwatch.storage.articles import mark_seen, start_run
from brwatch.storage.models import CrawlJob, CrawlRun, FrontierUrl, utcnow


def _expire_url(db: Database, key: str) -> None:
    with db.session() as session:
        session.execute(
            update(FrontierUrl).where(FrontierUrl.url_key == key).values(lease_expires_at=utcnow())
        )


def test_a_url_is_claimed_by_one_worker_until_its_lease_runs_out(db: Database) -> None:
    url = "https://a.example/news/1"
    with db.session() as session:
        first = frontier.claim(session, [url], "a", "w1", lease=60, freshness=3600)
    with db.session() as session:
        second = frontier.claim(session, [url], "a", "w2", lease=60, freshness=3600)
    assert set(first) == {url} and second == {}
    _expire_url(db, url)
    time.sleep(0.01)
    with db.session() as session:
        third = frontier.claim(session, [url], "a", "w2", lease=60, freshness=3600)
    assert third[url].token == first[url].token + 1


def test_a_stale_worker_cannot_store_and_the_new_holder_can(db: Database) -> None:
    url = "https://a.example/news/2"
    with db.session() as session:
        stale = frontier.claim(session, [url], "a", "w1", lease=60, freshness=3600)[url]
    _expire_url(db, url)
    time.sleep(0.01)
    with db.session() as session:
        fresh = frontier.claim(session, [url], "a", "w2", lease=60, freshness=3600)[url]
    with db.session() as session:
        assert frontier.admit(session, "w1", {url: stale.token}) == set()
        # Even naming the new holder, the old token is refused.
        assert frontier.admit(session, "w2", {url: stale.token}) == set()
        assert frontier.admit(session, "w2", {url: fresh.token}) == {url}
        assert frontier.complete(session, "w2", {url: fresh.token}) == 1
    with db.session() as session:
        row = session.get(FrontierUrl, url)
        assert row is not None and row.state == "done" and row.worker is None
        # Done and fresh: nobody claims it again within the freshness window.
        assert frontier.claim(session, [url], "a", "w3", lease=60, freshness=3600) == {}


def test_an_expired_lease_is_not_renewed_by_a_worker_waking_up(db: Database) -> None:
    url = "https://a.example/news/3"
    with db.session() as session:
        claim = frontier.claim(session, [url], "a", "w1", lease=60, freshness=3600)[url]
    _expire_url(db, url)
    time.sleep(0.01)
    with db.session() as session:
        assert frontier.renew(session, "w1", 60) == 0
        assert frontier.admit(session, "w1", {url: claim.token}) == set()


def test_done_urls_are_claimed_again_after_the_freshness_window(db: Database) -> None:
    url = "https://a.example/news/4"
    with db.session() as session:
        claim = frontier.claim(session, [url], "a", "w1", lease=60, freshness=0.01)[url]
        frontier.complete(session, "w1", {url: claim.token})
        # Stored with an ETag: a conditional re-fetch is worth it once the window has passed.
        mark_seen(session, url, "a", status=200, fetched_at=utcnow(), etag='"v1"')
    time.sleep(0.05)
    with db.session() as session:
        again = frontier.claim(session, [url], "a", "w2", lease=60, freshness=0.01)
    assert again[url].etag == '"v1"'


def test_urls_stored_without_validators_or_gone_are_never_claimed(db: Database) -> None:
    plain, gone = "https://a.example/plain", "https://a.example/gone"
    with db.session() as session:
        mark_seen(session, plain, "a", status=200, fetched_at=utcnow())
        mark_seen(session, gone, "a", status=404, fetched_at=utcnow(), etag='"x"')
        assert frontier.claim(session, [plain, gone], "a", "w1", lease=60, freshness=0) == {}


def test_a_dead_workers_urls_are_orphans_and_give_back_returns_leases(db: Database) -> None:
    dead, drained = "https://a.example/dead", "https://a.example/drained"
    with db.session() as session:
        frontier.claim(session, [dead], "a", "w1", lease=60, freshness=3600)
        frontier.claim(session, [drained], "a", "w2", lease=60, freshness=3600)
    _expire_url(db, dead)
    time.sleep(0.01)
    with db.session() as session:
        assert frontier.orphans(session, "a") == [dead]
        assert frontier.give_back(session, "w2") == 1
        assert sorted(frontier.orphans(session, "a")) == [dead, drained]


def test_one_pending_job_per_source_and_claims_are_fenced(db: Database) -> None:
    with db.session() as session:
        assert jobs.enqueue(session, "a", "s1")
        assert not jobs.enqueue(session, "a", "s2")  # a standby's duplicate changes nothing
        assert jobs.enqueue(session, "b", "s1")
    with db.session() as session:
        first = jobs.claim(session, "w1", lease=60)
        second = jobs.claim(session, "w2", lease=60)
        assert jobs.claim(session, "w3", lease=60) is None
    assert first and second and {first.source, second.source} == {"a", "b"}
    with db.session() as session:
        # Still pending while leased: the scheduler cannot queue the source again.
        assert not jobs.enqueue(session, first.source, "s1")
        assert jobs.renew(session, first, "w1", 60)
        assert not jobs.finish(session, first, "w2")
        assert jobs.finish(session, first, "w1")
        assert jobs.enqueue(session, first.source, "s1")


def test_a_dead_workers_job_is_requeued_and_its_run_recorded_killed(db: Database) -> None:
    with db.session() as session:
        jobs.enqueue(session, "a", "s1")
    with db.session() as session:
        job = jobs.claim(session, "w1", lease=60)
        assert job is not None
        run_id = start_run(session, "a", "schedule").id
        assert jobs.attach_run(session, job, "w1", run_id)
        session.execute(
            update(CrawlJob).where(CrawlJob.id == job.id).values(lease_expires_at=utcnow())
        )
    time.sleep(0.01)
    with db.session() as session:
        again = jobs.claim(session, "w2", lease=60)
        assert again is not None and again.id == job.id and again.token == job.token + 1
        run = session.get(CrawlRun, run_id)
        assert run is not None and run.status == "killed"
        # The first worker, back from the dead, cannot close what is no longer its own.
        assert not jobs.finish(session, job, "w1")
        assert not jobs.renew(session, job, "w1", 60)


def test_a_job_killing_its_workers_is_given_up(db: Database) -> None:
    with db.session() as session:
        jobs.enqueue(session, "a", "s1")
    for attempt in range(jobs.MAX_ATTEMPTS):
        with db.session() as session:
            job = jobs.claim(session, f"w{attempt}", lease=60)
            assert job is not None
            session.execute(
                update(CrawlJob).where(CrawlJob.id == job.id).values(lease_expires_at=utcnow())
            )
        time.sleep(0.01)
    with db.session() as session:
        assert jobs.claim(session, "w9", lease=60) is None
        states = session.scalars(select(CrawlJob.state)).all()
    assert states == ["given_up"]


def test_queue_depth_counts_queued_and_leased(db: Database) -> None:
    with db.session() as session:
        for name in ("a", "b", "c"):
            jobs.enqueue(session, name, "s1")
        jobs.claim(session, "w1", lease=60)
        assert jobs.depth(session) == jobs.QueueDepth(queued=2, leased=1, due=2)


def test_give_back_returns_a_job_without_spending_an_attempt(db: Database) -> None:
    worker = "w1"
    with db.session() as session:
        jobs.enqueue(session, "a", "s1")
        job = jobs.claim(session, worker, lease=60)
        assert job is not None and jobs.give_back(session, job, worker)
        again = jobs.claim(session, "w2", lease=60)
        assert again is not None and again.attempts == 1
