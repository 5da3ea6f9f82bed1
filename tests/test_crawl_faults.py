"""The crawler under hostile sites and faults (issue 18): every case here failed once.

Loopback addresses stand for private ones: 127.0.0.2 is a source's own host (its entry
points are exempt from the address policy, the operator chose them), 127.0.0.3 and
127.0.0.4 are "internal" hosts a page must not make the crawler reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sites import Page, Site
from tests.test_crawl_e2e import XML, article, crawl, runs, write_sources
from tests.test_crawl_e2e import articles as stored

pytestmark = pytest.mark.slow

METADATA = "http://169.254.169.254/latest/meta-data/"


def _internal(serve_site: Callable[..., Site], host: str) -> Site:
    return serve_site(host, {"/secret": Page(article("Internal secret page"))})


def test_feed_items_pointing_at_private_addresses_are_never_fetched(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    internal = _internal(serve_site, "127.0.0.3")
    own = serve_site("127.0.0.2", {"/a": Page(article("Port news"))})
    items = [own.url("/a"), internal.url("/secret"), METADATA]
    own.pages["/feed.xml"] = Page(
        "<rss><channel>"
        + "".join(f"<item><link>{url}</link></item>" for url in items)
        + "</channel></rss>",
        headers=XML,
    )
    # allow names every item, so the address policy alone must stop the internal ones
    sources = write_sources(
        tmp_path,
        {"name": "own", "feeds": [own.url("/feed.xml")], "allow": ["/a$", "/secret$", "/meta"]},
    )
    crawl(brwatch, sources, db_url)
    assert internal.requests == []
    assert set(stored(db_url)) == {own.url("/a")}
    run = runs(db_url)["own"]
    assert (run.errors or {}).get("refused", 0) >= 2, run.errors


def test_feed_items_on_other_hosts_follow_the_allow_rules(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    other = serve_site("127.0.0.3", {"/story": Page(article("Elsewhere"))})
    own = serve_site("127.0.0.2", {"/a": Page(article("Port news"))})
    own.pages["/feed.xml"] = Page(
        f"<rss><channel><item><link>{own.url('/a')}</link></item>"
        f"<item><link>{other.url('/story')}</link></item></channel></rss>",
        headers=XML,
    )
    # No allow patterns: only the feed's own host; and the other host is opened to the
    # address policy, so only the allow rule can have kept it out.
    sources = write_sources(tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")]})
    crawl(brwatch, sources, db_url, "--set", "BRWATCH_PROGRESS_INTERVAL=0.2")
    assert other.requests == []
    assert set(stored(db_url)) == {own.url("/a")}


def test_an_article_redirecting_to_a_private_address_is_refused(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    internal = _internal(serve_site, "127.0.0.4")
    own = serve_site(
        "127.0.0.2",
        {
            "/a": Page(article("Port news")),
            "/moved": Page(b"", status=302, headers={"Location": internal.url("/secret")}),
        },
    )
    own.pages["/feed.xml"] = Page(
        f"<rss><channel><item><link>{own.url('/a')}</link></item>"
        f"<item><link>{own.url('/moved')}</link></item></channel></rss>",
        headers=XML,
    )
    sources = write_sources(tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")]})
    crawl(brwatch, sources, db_url)
    assert internal.requests == []
    assert set(stored(db_url)) == {own.url("/a")}


def test_allowed_networks_open_a_private_range_and_only_that(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    opened = _internal(serve_site, "127.0.0.3")
    closed = _internal(serve_site, "127.0.0.4")
    own = serve_site("127.0.0.2", {})
    own.pages["/feed.xml"] = Page(
        f"<rss><channel><item><link>{opened.url('/secret')}</link></item>"
        f"<item><link>{closed.url('/secret')}</link></item></channel></rss>",
        headers=XML,
    )
    sources = write_sources(
        tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")], "allow": ["/secret$"]}
    )
    result = brwatch(
        "--sources",
        str(sources),
        "crawl",
        "--set",
        "DOWNLOAD_DELAY=0",
        "--set",
        "AUTOTHROTTLE_START_DELAY=0",
        db=db_url,
        env={"BRWATCH_ALLOWED_NETWORKS": "127.0.0.3/32"},
    )
    assert result.returncode == 0, result
    assert opened.paths_requested() and closed.requests == []
    assert set(stored(db_url)) == {opened.url("/secret")}


def test_sources_check_does_not_follow_redirects_to_private_addresses(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any
) -> None:
    internal = _internal(serve_site, "127.0.0.3")
    own = serve_site(
        "127.0.0.2",
        {"/feed.xml": Page(b"", status=302, headers={"Location": internal.url("/secret")})},
    )
    sources = write_sources(tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")]})
    result = brwatch("--sources", str(sources), "sources", "--check", "--json")
    assert internal.requests == []
    (line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["outcome"] == "unreachable"
    assert "refused by the address policy" in line["detail"]


def test_a_crawl_with_a_broken_rules_directory_refuses_to_start(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    own = serve_site("127.0.0.2", {"/a": Page(article("Port news"))})
    own.pages["/feed.xml"] = Page(
        f"<rss><channel><item><link>{own.url('/a')}</link></item></channel></rss>", headers=XML
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "en.yaml").write_text("- id: x\n  title: broken\n")
    sources = write_sources(tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")]})
    result = brwatch(
        "--sources", str(sources), "crawl", db=db_url, env={"BRWATCH_RIGHTS_RULES": str(rules)}
    )
    assert result.returncode == 2, result
    assert "rights engine cannot load its rules" in result.stderr
    assert str(rules / "en.yaml") in result.stderr.replace("\n", "")
    assert own.requests == []  # nothing fetched, so nothing stored without a verdict
    assert stored(db_url) == {}


def test_check_refuses_a_gzip_bomb(brwatch: Any, tmp_path: Path) -> None:
    import gzip

    bomb = tmp_path / "page.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"0" * 40_000_000, mtime=0))
    assert bomb.stat().st_size < 200_000
    result = brwatch("check", str(bomb), "--json")
    assert result.returncode == 1, result
    assert "more than 32 MB" in json.loads(result.stdout)["error"]


def test_a_read_only_database_is_a_message_not_a_traceback(brwatch: Any, tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    assert brwatch("runs", db=f"sqlite:///{path}").returncode == 0  # created and migrated
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = brwatch(
        "users", "add", "edith", "--role", "editor", db=read_only, input="pw12345678\n"
    )
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "readonly" in result.stderr.replace("-", "").lower()


def test_a_cron_line_that_never_fires_is_refused(brwatch: Any, tmp_path: Path) -> None:
    sources = write_sources(
        tmp_path, {"name": "never", "feeds": ["http://x.example/f"], "schedule": "* * 31 2 *"}
    )
    result = brwatch("--sources", str(sources), "sources")
    assert result.returncode == 2, result
    assert "never fires" in result.stderr


def test_a_crawler_folder_in_the_working_directory_shadows_nothing(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any
) -> None:
    shadow = tmp_path / "brwatch_crawler"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('the shadow package was imported')\n")
    own = serve_site("127.0.0.2", {"/a": Page(article("Port news"))})
    own.pages["/feed.xml"] = Page(
        f"<rss><channel><item><link>{own.url('/a')}</link></item></channel></rss>", headers=XML
    )
    sources = write_sources(tmp_path, {"name": "own", "feeds": [own.url("/feed.xml")]})
    db_url = f"sqlite:///{tmp_path / 'shadow.db'}"
    result = crawl(brwatch, sources, db_url)
    assert "shadow package" not in result.stderr
    assert set(stored(db_url)) == {own.url("/a")}


@pytest.fixture
def silent_database() -> Any:
    """A 'PostgreSQL server' that accepts connections and never answers."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.9", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"postgresql+psycopg://brwatch@127.0.0.9:{server.getsockname()[1]}/brwatch"
    server.close()
    for connection in held:
        connection.close()


@pytest.mark.parametrize("verb", [["runs"], ["crawl"], ["schedule", "--jobs"]])
def test_a_database_that_never_answers_is_an_error_not_a_hang(
    brwatch: Any, tmp_path: Path, silent_database: str, verb: list[str]
) -> None:
    sources = write_sources(tmp_path, {"name": "own", "feeds": ["http://127.0.0.2:9/feed.xml"]})
    result = brwatch(
        "--sources",
        str(sources),
        *verb,
        db=silent_database,
        env={"BRWATCH_DB_CONNECT_TIMEOUT": "2"},
        timeout=90,  # a hang is the failure this test is about
    )
    assert result.returncode == 2, result
    assert "cannot reach database" in result.stderr


def _stalling_site(serve_site: Callable[..., Site], host: str, total: int, free: int) -> Any:
    """A feed of ``total`` articles: the first ``free`` answered at once, the rest held until
    the test releases them. Returns (site, release event, set of answered paths)."""
    import itertools
    import threading

    released = threading.Event()
    answered: set[str] = set()
    counter = itertools.count()
    site = serve_site(host, {})
    site.pages["/feed.xml"] = Page(
        "<rss><channel>"
        + "".join(f"<item><link>{site.url(f'/a/{n}')}</link></item>" for n in range(total))
        + "</channel></rss>",
        headers=XML,
    )

    def handler(n: int) -> Callable[[Any], Page]:
        def answer(_request: Any) -> Page:
            if next(counter) >= free:
                released.wait(30)
            answered.add(site.url(f"/a/{n}"))
            return Page(article(f"Article {n}"))

        return answer

    for n in range(total):
        site.pages[f"/a/{n}"] = handler(n)
    return site, released, answered


def _crawl_process(tmp_path: Path, sources: Path, db_url: str) -> Any:
    import os
    import subprocess
    import sys

    from tests.test_crawl_e2e import FAST

    argv = [sys.executable, "-m", "brwatch.cli", "--sources", str(sources), "crawl", *FAST,
            "--set", "DOWNLOAD_TIMEOUT=40",
            "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]  # fmt: skip
    return subprocess.Popen(
        argv,
        env={**os.environ, "BRWATCH_DB_URL": db_url},
        cwd=tmp_path,
        start_new_session=True,  # a group of its own, as under systemd or the scheduler
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_sigterm_to_the_process_group_stores_every_page_in_flight(
    tmp_path: Path, serve_site: Callable[..., Site]
) -> None:
    import os
    import signal

    site, released, answered = _stalling_site(serve_site, "127.0.0.21", total=20, free=4)
    sources = write_sources(tmp_path, {"name": "term", "feeds": [site.url("/feed.xml")]})
    db_url = f"sqlite:///{tmp_path / 'term.db'}"
    process = _crawl_process(tmp_path, sources, db_url)
    try:
        assert _wait_for(lambda: len(answered) >= 4 and len(stored(db_url)) >= 4)
        os.killpg(process.pid, signal.SIGTERM)  # what the scheduler and systemd send
        released.set()  # the requests in flight now complete
        process.wait(90)
    finally:
        released.set()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    # Every page the site answered was processed and stored: none dropped with the pool.
    assert set(stored(db_url)) == answered
    assert runs(db_url)["term"].status == "killed"


def test_a_crawl_killed_outright_stops_its_child_and_its_run_is_settled(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any
) -> None:
    import os
    import signal

    import psutil

    site, released, _answered = _stalling_site(serve_site, "127.0.0.22", total=20, free=2)
    sources = write_sources(tmp_path, {"name": "nine", "feeds": [site.url("/feed.xml")]})
    db_url = f"sqlite:///{tmp_path / 'nine.db'}"
    process = _crawl_process(tmp_path, sources, db_url)
    try:
        assert _wait_for(lambda: len(stored(db_url)) >= 2)
        children = psutil.Process(process.pid).children()
        (crawl_child,) = [c for c in children if "brwatch_crawler.run" in " ".join(c.cmdline())]
        os.kill(process.pid, signal.SIGKILL)  # the OOM killer, a careless operator
        process.wait(10)
        released.set()
        # The child does not crawl on headless: it stops once its parent is gone.
        assert _wait_for(lambda: not crawl_child.is_running() or crawl_child.status() == "zombie")
    finally:
        released.set()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    result = brwatch("runs", "--json", db=db_url)
    assert result.returncode == 0, result
    (run,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert run["status"] == "killed"


class _Outage:
    """Takes the test's PostgreSQL database away (no connections, existing ones ended) and
    brings it back: an outage as a crawl sees one."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from tests.conftest import PG_ADMIN_URL

        self.name = make_url(url).database
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def begin(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.name},
            )

    def end(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
        self.admin.dispose()


@pytest.fixture
def pg_only(request: pytest.FixtureRequest) -> Any:
    """The session's PostgreSQL database, emptied after the test (as db_url does)."""
    from sqlalchemy import create_engine, text

    from brwatch.storage.models import Base
    from tests.conftest import PG_ENABLED

    if not PG_ENABLED:
        pytest.skip("BRWATCH_TEST_PG=off: the outage needs the PostgreSQL server")
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _outage_crawl(tmp_path: Path, sources: Path, db_url: str, outage_limit: str) -> Any:
    import os
    import subprocess
    import sys

    from tests.test_crawl_e2e import FAST

    argv = [sys.executable, "-m", "brwatch.cli", "--sources", str(sources), "crawl", *FAST,
            "--set", "DOWNLOAD_TIMEOUT=40",
            "--set", f"BRWATCH_STORE_OUTAGE={outage_limit}"]  # fmt: skip
    return subprocess.Popen(
        argv,
        env={**os.environ, "BRWATCH_DB_URL": db_url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_database_outage_pauses_the_crawl_and_it_resumes(
    tmp_path: Path, serve_site: Callable[..., Site], pg_only: str
) -> None:
    import time

    site, released, answered = _stalling_site(serve_site, "127.0.0.23", total=16, free=3)
    sources = write_sources(tmp_path, {"name": "outage", "feeds": [site.url("/feed.xml")]})
    outage = _Outage(pg_only)
    process = _outage_crawl(tmp_path, sources, pg_only, "300")
    try:
        assert _wait_for(lambda: len(stored(pg_only)) >= 3)
        outage.begin()
        released.set()  # pages arrive while nothing can be stored
        time.sleep(4)
    finally:
        outage.end()
        released.set()
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    # Nothing fetched during the outage was lost: every answered page is stored.
    assert set(stored(pg_only)) == answered and len(answered) == 16
    assert runs(pg_only)["outage"].status == "ok"


def test_storage_that_stays_down_stops_the_crawl_cleanly_and_loses_nothing(
    tmp_path: Path, serve_site: Callable[..., Site], pg_only: str, brwatch: Any
) -> None:
    import time

    site, released, _answered = _stalling_site(serve_site, "127.0.0.24", total=16, free=3)
    sources = write_sources(tmp_path, {"name": "down", "feeds": [site.url("/feed.xml")]})
    outage = _Outage(pg_only)
    process = _outage_crawl(tmp_path, sources, pg_only, "3")
    try:
        assert _wait_for(lambda: len(stored(pg_only)) >= 3)
        outage.begin()
        released.set()
        _stdout, stderr = process.communicate(timeout=120)
        time.sleep(0.5)
    finally:
        outage.end()
        released.set()
    assert process.returncode == 3, stderr[-3000:]
    assert "storage stayed down" in stderr and "Traceback" not in stderr
    first = set(stored(pg_only))
    assert len(first) < 16
    # What was not stored was not marked seen: the next run fetches and stores it.
    crawl(brwatch, sources, pg_only)
    assert set(stored(pg_only)) == {site.url(f"/a/{n}") for n in range(16)}
    statuses = {r.source: r.status for r in [runs(pg_only)["down"]]}
    assert statuses == {"down": "ok"}


def test_every_article_response_is_accounted_for(
    tmp_path: Path, serve_site: Callable[..., Site], brwatch: Any, db_url: str
) -> None:
    pdf = Page(b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"})
    pages = {f"/a/{n}": Page(article(f"Article {n}"), etag=f'"v{n}"') for n in range(6)}
    site = serve_site("127.0.0.25", {**pages, "/report.pdf": pdf})
    items = [*pages, "/report.pdf"]
    site.pages["/feed.xml"] = Page(
        "<rss><channel>"
        + "".join(f"<item><link>{site.url(p)}</link></item>" for p in items)
        + "</channel></rss>",
        headers=XML,
    )
    sources = write_sources(tmp_path, {"name": "count", "feeds": [site.url("/feed.xml")]})
    for _ in range(2):  # the second run re-fetches conditionally: 304s
        crawl(brwatch, sources, db_url)
        result = brwatch("runs", "--json", "--source", "count", "--limit", "1", db=db_url)
        (run,) = [json.loads(line) for line in result.stdout.splitlines()]
        stats = runs(db_url)["count"].stats
        accounted = sum(
            stats.get(kind, 0)
            for kind in ("new", "changed", "unchanged", "not_modified", "skipped_type")
        ) + sum((run["errors"] or {}).get(kind, 0) for kind in ("parse", "store"))
        assert stats["articles"] == accounted, (stats, run["errors"])
    assert stats["not_modified"] == 6 and stats["skipped_type"] == 1
