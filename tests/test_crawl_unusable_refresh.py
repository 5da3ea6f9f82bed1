"""A page cannot keep itself out of review with a meta refresh that goes nowhere: a refresh to
javascript:, mailto: or a broken URL is ignored and the page is stored like any other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from brwatch.storage import Database
from brwatch.storage.models import Article
from tests.sites import Page, Site
from tests.test_crawl_e2e import FAST, article, write_sources

REFRESHES = {
    "/news/javascript.html": "0;url=javascript:alert(document.cookie)",
    "/news/quoted-javascript.html": "0; URL='javascript:void(0)'",
    "/news/mailto.html": "0;url=mailto:desk@example.org",
    "/news/broken.html": "0;url=http://[::1",
}


def _page(title: str, refresh: str) -> Page:
    html = article(title, extra="<p>Reproduction is not allowed without permission.</p>")
    return Page(html.replace("<head>", f'<head><meta http-equiv="refresh" content="{refresh}">'))


@pytest.mark.slow
def test_pages_with_an_unusable_meta_refresh_are_stored(
    brwatch: Callable[..., Any], serve_site: Callable[..., Site], tmp_path: Path
) -> None:
    site = serve_site("127.0.0.31", {})
    links = "".join(f"<a href='{path}'>{path}</a>" for path in REFRESHES)
    site.pages["/list"] = Page(f"<html><body>{links}</body></html>")
    for n, (path, refresh) in enumerate(REFRESHES.items()):
        site.pages[path] = _page(f"Corridor story {n}", refresh)
    sources = write_sources(
        tmp_path, {"name": "refreshing", "start_urls": [site.url("/list")], "allow": ["/news/"]}
    )
    db_url = f"sqlite:///{tmp_path / 'refresh.db'}"
    result = brwatch("--sources", str(sources), "crawl", *FAST, db=db_url)
    assert result.returncode == 0, result
    db = Database(db_url)
    with db.session() as session:
        stored = {a.url: a.rights_status for a in session.scalars(select(Article))}
    db.dispose()
    assert stored == {site.url(path): "prohibited" for path in REFRESHES}
