"""Changes are seen (issue 17): pages whose server sends no validators are fetched again by
their age (BRWATCH_REFETCH_AFTER); a page that says the same stores nothing new, a changed one
a new snapshot and a new verdict, whose history `brwatch runs` and the item page show."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot
from brwatch.web.app import create_app
from brwatch.web.settings import WebSettings
from tests.sites import Page, Site
from tests.test_crawl_e2e import XML, article, crawl, runs, write_sources
from tests.web_data import add_users, login, make_client

# Younger than a week: due again at once; older: not for ten years.
BY_AGE = ["--set", "BRWATCH_REFETCH_AFTER=7d=0s, *=3650d"]
NOTICE = "All rights reserved. No reproduction without permission."


def dated(title: str, published: datetime, extra: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{published.isoformat()}">'
    return article(title, extra=extra).replace("<head>", f"<head>{meta}")


def feed(site: Site, items: dict[str, datetime]) -> Page:
    entries = "".join(
        f"<item><link>{site.url(path)}</link><pubDate>{format_datetime(when)}</pubDate></item>"
        for path, when in items.items()
    )
    return Page(f"<rss><channel>{entries}</channel></rss>", headers=XML)


def snapshots_of(db: Database, url: str) -> list[Snapshot]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Snapshot)
                .join(Article)
                .where(Article.url == url)
                .order_by(Snapshot.fetched_at)
            )
        )


def test_pages_without_validators_are_fetched_again_by_age_and_stored_again_when_changed(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], db_url: str, tmp_path: Path
) -> None:
    recent = datetime.now(UTC) - timedelta(hours=2)
    old = datetime(2019, 3, 1, 8, tzinfo=UTC)
    site = serve_site("127.0.0.34", {})
    site.pages["/feed.xml"] = feed(site, {"/new": recent, "/moving": recent, "/old": old})
    site.pages["/new"] = Page(dated("Corridor rail news", recent))
    site.pages["/old"] = Page(dated("Port archive story", old))
    # A page whose bytes differ on every fetch (a token), though it always says the same.
    tokens = itertools.count()
    site.pages["/moving"] = lambda _request: Page(
        dated("Bridge works", recent).replace(
            "</head>", f"<script>var token = {next(tokens)};</script></head>"
        )
    )
    sources = write_sources(tmp_path, {"name": "ages", "feeds": [site.url("/feed.xml")]})

    crawl(brwatch, sources, db_url, *BY_AGE)
    db = Database(db_url)
    try:
        with db.session() as session:
            before = {a.url: a.updated_at for a in session.scalars(select(Article))}
        assert len(before) == 3

        # Run 2: the recent pages are fetched again, the old one is not; nothing changed.
        site.requests.clear()
        crawl(brwatch, sources, db_url, *BY_AGE)
        fetched = sorted(p for p in site.paths_requested() if p not in ("/feed.xml", "/robots.txt"))
        assert fetched == ["/moving", "/new"]
        second = runs(db_url)["ages"]
        assert second.stats.get("unchanged") == 2
        assert not second.stats.get("changed") and not second.stats.get("new")
        with db.session() as session:
            after = {a.url: a.updated_at for a in session.scalars(select(Article))}
        assert after == before  # no article rewritten
        assert [len(snapshots_of(db, site.url(p))) for p in ("/new", "/moving", "/old")] == [
            1, 1, 1
        ]  # fmt: skip

        # Run 3: a notice appeared on one page: a new snapshot, judged again.
        site.pages["/new"] = Page(dated("Corridor rail news", recent, extra=f"<p>{NOTICE}</p>"))
        crawl(brwatch, sources, db_url, *BY_AGE)
        third = runs(db_url)["ages"]
        assert third.stats.get("changed") == 1 and third.stats.get("unchanged") == 1
        versions = snapshots_of(db, site.url("/new"))
        assert len(versions) == 2 and len(snapshots_of(db, site.url("/moving"))) == 1
        statuses = [version.rights["status"] for version in versions]
        assert statuses[0] != statuses[1]
        with db.session() as session:
            updated = session.scalars(select(Article).where(Article.url == site.url("/new"))).one()
        assert updated.rights_status == statuses[1]

        listed = [
            json.loads(line)
            for line in brwatch("runs", "--json", db=db_url).stdout.split("\n")
            if line
        ]
        assert [line["changed"] for line in listed] == [1, 0, 0]  # newest first

        # The item page shows how the page's verdict changed.
        add_users(db)
        client = make_client(create_app(db, WebSettings(secret_key="test-secret")))
        login(client, "edith")
        page = client.get(f"/items/{updated.id}").text
        history = page.split("data-verdict-history", 1)[1].split("</ol>", 1)[0]
        assert [f'data-status="{status}"' in history for status in statuses] == [True, True]
        assert history.index(statuses[0]) < history.index(statuses[1])
        unchanged = client.get(f"/items/{after_id(db, site.url('/moving'))}").text
        assert "data-verdict-history" not in unchanged
    finally:
        db.dispose()


def after_id(db: Database, url: str) -> int:
    with db.session() as session:
        return session.scalars(select(Article.id).where(Article.url == url)).one()
