"""`brwatch attribution check` end to end, against a page's link served on loopback."""

from __future__ import annotations

import json

from brwatch.storage.models import Article, AttributionCheck
from tests.sites import Page
from tests.test_attribution_check import stored_article

PAGE_URL = "https://www.reprints.example.com/news/7.html"


def test_attribution_check_command(db, db_url, brwatch, serve_site) -> None:
    origin = serve_site("127.0.0.2", {"/story.html": Page("<p>original</p>")})
    html = (
        "<html><body><article><p>Rail freight grew again this year.</p>"
        f'<p>Source: <a href="{origin.url("/story.html")}">Tiny Gazette</a></p>'
        "</article></body></html>"
    )
    stored_article(db, html, origin="Tiny Gazette", url=PAGE_URL)
    env = {"BRWATCH_ALLOWED_NETWORKS": "127.0.0.2/32"}

    done = brwatch("attribution", "check", "--json", db=db_url, env=env)
    assert done.returncode == 0, done
    assert json.loads(done.stdout) == {"ok": 1}
    # Checked recently: nothing left to do.
    again = brwatch("attribution", "check", "--json", db=db_url, env=env)
    assert json.loads(again.stdout) == {}

    # Without the opened range the loopback link is refused, never fetched: broken.
    one = brwatch("attribution", "check", "--article", PAGE_URL, "--json", db=db_url)
    assert one.returncode == 0, one
    answer = json.loads(one.stdout)
    assert answer["link"] == "broken" and "refused" in answer["evidence"]["reason"]
    assert origin.paths_requested() == ["/story.html"]
    with db.session() as session:
        outcomes = [
            c.outcome for c in session.query(AttributionCheck).order_by(AttributionCheck.id)
        ]
        assert outcomes == ["ok", "broken"]
        assert session.query(Article).one().attribution_link == "broken"

    unknown = brwatch("attribution", "check", "--article", "https://nowhere.example/", db=db_url)
    assert unknown.returncode == 2
