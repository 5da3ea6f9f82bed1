"""Crawling on many hosts, on one machine: several `brwatch worker` processes (and
`brwatch schedule` processes) against sites on loopback that log every request.

Oracles: each URL served once; per host (or politeness group) no two requests closer than its
delay; in flight never above the limit; one article per canonical URL. Fault cases: a worker
killed with a request in flight, a worker paused past its lease, Redis stopped mid-crawl, the
active scheduler killed.
"""

from __future__ import annotations

import itertools
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from brwatch.storage.models import Article, CrawlRun, ProcessHeartbeat, Snapshot
from tests.cluster_harness import (
    Cluster,
    Hit,
    LoggedSite,
    Tally,
    TcpProxy,
    news_site,
    wait_until,
)

pytestmark = pytest.mark.slow

DELAY = 0.4


def _served_once(*sites: LoggedSite) -> None:
    for site in sites:
        repeated = [p for p, n in Counter(site.paths()).items() if n > 1 and p.startswith("/news")]
        assert not repeated, f"{site.host} served twice: {repeated}"


def _too_close(hits: list[Hit], delay: float) -> list[tuple[Hit, Hit]]:
    """Consecutive requests closer than ``delay`` (empty when the delay held)."""
    ordered = sorted(hits, key=lambda hit: hit.at)
    return [(a, b) for a, b in itertools.pairwise(ordered) if b.at - a.at < delay]


def _articles(cluster: Cluster) -> list[str]:
    with cluster.db.session() as session:
        return list(session.scalars(select(Article.canonical_url)))


@pytest.fixture
def sites() -> Iterator[list[LoggedSite]]:
    made: list[LoggedSite] = []
    yield made
    for site in made:
        site.stop()


def test_workers_share_urls_and_politeness(cluster: Cluster, sites: list[LoggedSite]) -> None:
    # Two hosts of one operator (a politeness group) and a third host with no delay but
    # slow pages, where only the in-flight limit holds the workers back.
    group = Tally()
    first = news_site("127.0.0.41", "a", 10, tally=group)
    second = news_site("127.0.0.42", "b", 6, tally=group)
    slow = news_site("127.0.0.43", "c", 12, answer_after=0.4)
    sites += [first, second, slow]
    cluster.write_sources(
        # Two sources listing the same articles of one host: each article is fetched once.
        {"name": "a1", "start_urls": [first.url("/")], "delay": DELAY, "politeness_group": "op"},
        {"name": "a2", "start_urls": [first.url("/also")], "politeness_group": "op"},
        {"name": "b1", "start_urls": [second.url("/")], "politeness_group": "op"},
        {"name": "c1", "start_urls": [slow.url("/")]},
        {"name": "c2", "start_urls": [slow.url("/also")]},
    )
    for worker_id in ("w1", "w2", "w3"):
        cluster.worker(
            worker_id, "--set", "DOWNLOAD_DELAY=0", "--set", "BRWATCH_HOST_CONCURRENCY=2"
        )
    # All three are up before there is work, so the jobs spread over them.
    cluster.wait_workers_live(3)
    # The slow host's two jobs first: they go to two workers, the group's to the third and
    # then to whichever is free.
    cluster.enqueue("c1", "c2", "a1", "a2", "b1")
    cluster.wait_jobs_done()

    _served_once(first, second, slow)
    articles = _articles(cluster)
    assert len(articles) == len(set(articles)) == 10 + 6 + 12
    # The group's two hosts share one budget: one request at a time, DELAY apart, whichever
    # worker sent it.
    group_hits = first.hits + second.hits
    assert not _too_close(group_hits, DELAY)
    assert max(hit.in_flight for hit in group_hits) == 1
    assert len({hit.client for hit in group_hits}) >= 2, "one worker did all: nothing shared"
    # The slow host: never more than the limit in flight across the workers.
    assert max(hit.in_flight for hit in slow.hits) <= 2
    assert len({hit.client for hit in slow.hits}) >= 2


def test_a_killed_workers_url_is_fetched_again_after_its_lease(
    cluster: Cluster, sites: list[LoggedSite]
) -> None:
    site = news_site("127.0.0.44", "k", 4)
    sites.append(site)
    held = "/news/k-2.html"
    site.hold(held)
    cluster.write_sources({"name": "k1", "start_urls": [site.url("/")]})
    cluster.enqueue("k1")
    victim = cluster.worker("w1", lease=4)
    assert site.arrived[held].wait(120), victim.output()
    victim.signal(signal.SIGKILL)  # the request is in flight: the site still holds it
    victim.process.wait()
    site.held[held].set()
    cluster.worker("w2", lease=4)
    cluster.wait_jobs_done()

    assert site.paths().count(held) == 2  # at least once: fetched again, once
    # Only what the killed worker had fetched and not yet stored is fetched again, once,
    # by the other worker.
    for path in {h.path for h in site.hits if h.path.startswith("/news")}:
        clients = [h.client for h in sorted(site.hits, key=lambda h: h.at) if h.path == path]
        assert clients in (["brwatch-test w1"], ["brwatch-test w2"],
                           ["brwatch-test w1", "brwatch-test w2"]), (path, clients)  # fmt: skip
    assert len(_articles(cluster)) == 4
    with cluster.db.session() as session:
        statuses = sorted(session.scalars(select(CrawlRun.status)))
    assert statuses == ["killed", "ok"]


def test_a_worker_paused_past_its_lease_cannot_store(
    cluster: Cluster, sites: list[LoggedSite]
) -> None:
    site = news_site("127.0.0.45", "p", 3)
    sites.append(site)
    held = "/news/p-1.html"
    site.hold(held)
    cluster.write_sources({"name": "p1", "start_urls": [site.url("/")]})
    cluster.enqueue("p1")
    sleeper = cluster.worker("w1", lease=3)
    assert site.arrived[held].wait(120), sleeper.output()
    sleeper.signal(signal.SIGSTOP)
    site.held.pop(held).set()  # the answer waits in the paused worker's socket
    time.sleep(4)  # past the lease
    cluster.worker("w2", lease=3)
    wait_until(lambda: site.paths().count(held) == 2, 120, "the second worker to fetch it")
    cluster.wait_jobs_done()
    sleeper.signal(signal.SIGCONT)
    wait_until(lambda: "lease lost" in sleeper.output(), 60, "the paused worker to notice")
    sleeper.stop()

    with cluster.db.session() as session:
        snapshots = session.scalar(
            select(func.count()).select_from(Snapshot).where(Snapshot.url == site.url(held))
        )
        runs = {run.stats.get("worker"): run for run in session.scalars(select(CrawlRun))}
    assert snapshots == 1  # stored once, by the worker holding the lease
    assert runs["w1"].status == "killed" and runs["w1"].stats.get("lease_lost")
    assert runs["w2"].status == "ok"


def test_losing_redis_slows_the_crawl_but_keeps_the_delay(
    cluster: Cluster, sites: list[LoggedSite]
) -> None:
    site = news_site("127.0.0.46", "r", 24)
    sites.append(site)
    cluster.write_sources(
        {"name": "r1", "start_urls": [site.url("/")], "delay": DELAY},
        {"name": "r2", "start_urls": [site.url("/also")]},
    )
    cluster.enqueue("r1", "r2")
    first = cluster.worker("w1")
    second = cluster.worker("w2")
    wait_until(lambda: len(site.hits) >= 6, 120, "the crawl to be under way")
    cluster.redis.stop()
    stopped_at = time.monotonic()
    wait_until(lambda: len(site.hits) >= 12, 120, "the crawl to go on without Redis")
    cluster.redis.start()
    started_at = time.monotonic()
    cluster.wait_jobs_done()

    _served_once(site)
    assert not _too_close(site.hits, DELAY), (stopped_at, started_at)
    assert max(hit.in_flight for hit in site.hits) == 1
    assert any(hit.at > stopped_at for hit in site.hits)
    for worker in (first, second):
        log = worker.output()
        assert "politeness falls back to PostgreSQL" in log or "Redis" not in log
    assert "answers again" in first.output() + second.output()
    assert len(_articles(cluster)) == 24


def test_a_standby_scheduler_takes_over_and_nothing_fires_twice(cluster: Cluster) -> None:
    cluster.write_sources(
        {"name": "f1", "start_urls": ["http://127.0.0.47:9/"], "schedule": "every 2s"}
    )
    quick = {"reload_interval": "1", "attribution_recheck_every": "off",
             "rights_recheck_every": "off", "notifications_every": "off"}  # fmt: skip
    one = cluster.scheduler("s1", **quick)
    two = cluster.scheduler("s2", **quick)

    def active() -> list[str]:
        with cluster.db.session() as session:
            return list(
                session.scalars(
                    select(ProcessHeartbeat.pid).where(
                        ProcessHeartbeat.role == "scheduler",
                        ProcessHeartbeat.current_source == "active",
                    )
                )
            )

    wait_until(lambda: len(active()) == 1, 120, "one active scheduler")
    leader = one if active() == [one.pid] else two
    standby = two if leader is one else one
    # Play the workers: take each queued job and close it, so the schedule can fire again.
    fired: list[tuple[float, int]] = []

    def consume() -> None:
        from brwatch.cluster import jobs

        with cluster.db.session() as session:
            job = jobs.claim(session, "test-worker", 30)
            if job is not None:
                fired.append((time.monotonic(), job.id))
                jobs.finish(session, job, "test-worker")

    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        consume()
        time.sleep(0.1)
    assert len(fired) >= 2, leader.output()
    assert " active: " in leader.output() and " active: " not in standby.output()
    leader.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    taken_over = f"{standby.pid}:"  # the owner name starts host:pid
    try:
        wait_until(lambda: " active: " in standby.output(), 30, "the takeover")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{standby.output()[-3000:]}") from None
    assert taken_over in standby.output()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        consume()
        time.sleep(0.1)
    assert any(at > killed_at for at, _ in fired), standby.output()
    # Every 2 s, guarded by the lease's half-period gap: never two fires closer than 1 s,
    # across the takeover too.
    times = [at for at, _ in fired]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.9
    assert standby.stop() == 0


def test_workers_wait_for_a_lost_database_and_go_on(
    cluster: Cluster, sites: list[LoggedSite]
) -> None:
    site = news_site("127.0.0.48", "d", 16)
    sites.append(site)
    proxy = TcpProxy()
    cluster.write_sources(
        {"name": "d1", "start_urls": [site.url("/")], "delay": 0.3},
        {"name": "d2", "start_urls": [site.url("/also")]},
    )
    cluster.enqueue("d1", "d2")
    workers = [cluster.worker(w, db_url=proxy.url(cluster.db_url)) for w in ("w1", "w2")]
    wait_until(lambda: len(site.hits) >= 5, 120, "the crawl to be under way")
    proxy.cut()
    time.sleep(10)
    proxy.restore()
    cluster.wait_jobs_done()

    assert all(worker.process.poll() is None for worker in workers), workers[0].output()
    _served_once(site)
    assert len(_articles(cluster)) == 16
    assert any("trying again" in w.output() or "cannot store" in w.output() for w in workers)
