"""Attribution link checks against sites on loopback, standing in for real publishers through
an injected resolver (www.news.cn -> 127.0.0.3, …), and their storage and rechecks."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from brwatch.attribution import (
    check_attribution,
    check_stored_article,
    recheck_attribution,
    store_attribution,
)
from brwatch.fetch import SafeFetcher
from brwatch.storage.models import Article, AttributionCheck, Snapshot
from tests.sites import Page, Site

PAGE_URL = "https://www.reprints.example.com/news/1.html"


ORIGIN_PAGES = {
    "/orig.htm": Page("<p>原文</p>"),
    "/gone.htm": Page("", 404),
    "/robots-only.htm": Page("", 403),
    "/down.htm": Page("", 503),
}


@pytest.fixture(scope="module")
def _sites() -> Iterator[tuple[Site, Site, Site]]:
    # Started once for the module: stopping a server costs half a second.
    sites = (
        Site("127.0.0.3", ORIGIN_PAGES).start(),
        Site("127.0.0.4").start(),
        Site("127.0.0.5", {"/landing": Page("<p>ads</p>")}).start(),
    )
    yield sites
    for site in sites:
        site.stop()


@pytest.fixture
def web(_sites):  # type: ignore[no-untyped-def]
    """Three hosts: the publisher (www.news.cn), a link shortener, and an unrelated site."""
    origin, shortener, other = _sites
    origin.pages = dict(ORIGIN_PAGES)
    for site in _sites:
        site.requests.clear()
    names = {
        "www.news.cn": "127.0.0.3",
        "t.example.net": "127.0.0.4",
        "www.example.org": "127.0.0.5",
    }
    shortener.pages["/s/ok"] = Page(
        "", 301, {"Location": f"http://www.news.cn:{origin.port}/orig.htm"}
    )
    shortener.pages["/s/hop"] = Page(
        "", 302, {"Location": f"http://t.example.net:{shortener.port}/s/ok"}
    )
    shortener.pages["/s/away"] = Page(
        "", 302, {"Location": f"http://www.example.org:{other.port}/landing"}
    )

    def resolver(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"unknown host {host}")
        return [names[host]]

    fetcher = SafeFetcher(
        allowed_networks=["127.0.0.3/32", "127.0.0.4/32", "127.0.0.5/32"],
        resolver=resolver,
        timeout=5,
    )
    return {"origin": origin, "shortener": shortener, "other": other, "fetcher": fetcher}


def page(
    credit: str, link: str | None = None, anchor: str = "原文链接", footer_link: str = ""
) -> str:
    linked = f'<a href="{link}">{anchor}</a>' if link else ""
    return f"""<html><body><nav><a href="/">首页</a></nav>
    <article><h1>中欧班列开行突破十万列</h1>
    <p>新华社北京5月3日电 中欧班列累计开行突破十万列，通达欧洲二十五个国家。</p>
    <p class="source">{credit} {linked}</p></article>
    <footer>{footer_link} 版权所有</footer></body></html>"""


def test_ok_when_the_credit_links_to_the_publisher(web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/orig.htm"
    result = check_attribution(page("来源：新华社", link), PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "ok"
    assert result.publisher == "xinhua"
    assert result.link_url == link and result.http_status == 200
    assert result.final_url == link and result.redirects == []
    assert result.evidence["near_credit"] is True
    assert web["origin"].paths_requested() == ["/orig.htm"]


def test_ok_through_a_redirect_chain_to_the_publisher(web) -> None:
    link = f"http://t.example.net:{web['shortener'].port}/s/hop"
    result = check_attribution(
        page("来源：", link, anchor="新华网"), PAGE_URL, "新华社", web["fetcher"]
    )
    assert result.outcome == "ok"
    assert result.redirects == [link, f"http://t.example.net:{web['shortener'].port}/s/ok"]
    assert result.final_url == f"http://www.news.cn:{web['origin'].port}/orig.htm"
    assert result.evidence["link_found"] == "names_publisher"


def test_wrong_target_when_the_link_lands_elsewhere(web) -> None:
    link = f"http://t.example.net:{web['shortener'].port}/s/away"
    result = check_attribution(
        page("来源：", link, anchor="新华社"), PAGE_URL, "新华社", web["fetcher"]
    )
    assert result.outcome == "wrong_target"
    assert "www.example.org" in result.evidence["reason"]
    assert result.final_url.startswith("http://www.example.org:")


def test_broken_when_the_link_is_gone(web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/gone.htm"
    result = check_attribution(page("来源：新华社", link), PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "broken" and result.http_status == 404


def test_a_publisher_turning_the_checker_away_still_counts_as_landing_there(web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/robots-only.htm"
    result = check_attribution(page("来源：新华社", link), PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "ok" and result.http_status == 403
    assert "refused the checker" in result.evidence["reason"]


def test_broken_when_the_publisher_answers_with_a_server_error(web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/down.htm"
    result = check_attribution(page("来源：新华社", link), PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "broken" and result.http_status == 503


def test_broken_when_the_host_does_not_resolve(web) -> None:
    result = check_attribution(
        page("Source: Xinhua", "http://www.xinhuanet.com/x.htm", anchor="Xinhua"),
        PAGE_URL,
        "Xinhua",
        web["fetcher"],
    )
    assert result.outcome == "broken" and result.http_status is None
    assert "dns" in result.evidence["reason"]


def test_broken_and_never_fetched_when_the_link_points_inside(web, serve_site) -> None:
    canary = serve_site("127.0.0.1", {"/": Page("secret")})
    link = f"http://127.0.0.1:{canary.port}/"
    result = check_attribution(
        page("来源：", link, anchor="新华社"), PAGE_URL, "新华社", web["fetcher"]
    )
    assert result.outcome == "broken" and "refused" in result.evidence["reason"]
    assert canary.requests == []


def test_missing_when_there_is_no_link(web) -> None:
    result = check_attribution(page("来源：新华社"), PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "missing"
    assert "新华" in result.evidence["reason"] or "Xinhua" in result.evidence["reason"]
    assert web["origin"].requests == []


def test_site_chrome_links_do_not_count(web) -> None:
    footer = f'<a href="http://www.news.cn:{web["origin"].port}/orig.htm">合作伙伴</a>'
    result = check_attribution(
        page("来源：新华社", footer_link=footer), PAGE_URL, "新华社", web["fetcher"]
    )
    assert result.outcome == "missing"


def test_a_link_in_the_article_body_counts(web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/orig.htm"
    html = page("来源：新华社").replace(
        "</article>",
        f'<p>其他内容一。</p><p>其他内容二。</p><p>详见<a href="{link}">报道</a></p></article>',
    )
    result = check_attribution(html, PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "ok" and result.evidence["near_credit"] is False


def test_not_required_without_an_origin(web) -> None:
    assert check_attribution(page(""), PAGE_URL, None, web["fetcher"]).outcome == "not_required"


def test_not_required_on_the_publishers_own_site(web) -> None:
    result = check_attribution(
        page("来源：新华网"), "http://www.news.cn/2026/a.htm", "新华网", web["fetcher"]
    )
    assert result.outcome == "not_required"


def test_unlisted_publisher_link_found_by_its_name(web) -> None:
    link = f"http://www.example.org:{web['other'].port}/landing"
    html = page("Source: Tiny Gazette", link, anchor="Tiny Gazette")
    result = check_attribution(html, PAGE_URL, "Tiny Gazette", web["fetcher"])
    assert result.outcome == "ok" and result.publisher is None
    assert "unverified" in result.evidence["reason"]


def stored_article(db, html: str, origin: str | None = "新华社", url: str = PAGE_URL) -> int:  # type: ignore[no-untyped-def]
    """An article crediting ``origin``, stored with ``html`` as its snapshot; its id."""
    with db.session() as session:
        article = Article(
            canonical_url=url,
            url=url,
            source="reprints",
            title="中欧班列",
            origin=origin,
            rights={"status": "attribution_required", "origin": origin},
        )
        session.add(article)
        session.flush()
        session.add(
            Snapshot(
                article_id=article.id,
                url=url,
                html_gz=gzip.compress(html.encode()),
                sha256="0" * 64,
                headers={"content-type": "text/html; charset=utf-8"},
            )
        )
        return article.id


def test_store_and_mirror_on_the_article(db, web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/orig.htm"
    article_id = stored_article(db, page("来源：新华社", link))
    result = check_stored_article(db, article_id, web["fetcher"])
    assert result.outcome == "ok"
    with db.session() as session:
        article = session.get(Article, article_id)
        assert article.attribution_link == "ok"
        assert article.attribution["link"] == "ok"
        assert article.attribution["link_url"] == link
        assert article.attribution["origin"] == "新华社"
        assert set(article.attribution) >= {
            "origin",
            "origin_url",
            "link",
            "link_url",
            "checked_at",
            "http_status",
            "final_url",
            "redirects",
        }
        checks = session.query(AttributionCheck).filter_by(article_id=article_id).all()
        assert [(c.outcome, c.http_status, c.link_url) for c in checks] == [("ok", 200, link)]
        assert checks[0].evidence["publisher_known"] is True


def test_recheck_only_what_is_stale(db, web) -> None:
    link = f"http://www.news.cn:{web['origin'].port}/gone.htm"
    article_id = stored_article(db, page("来源：新华社", link))
    assert recheck_attribution(db, timedelta(hours=24), fetcher=web["fetcher"]) == {"broken": 1}
    # Fresh: nothing to do.
    assert recheck_attribution(db, timedelta(hours=24), fetcher=web["fetcher"]) == {}
    # The publisher fixed its page; a recheck of everything older than now sees it.
    web["origin"].pages["/gone.htm"] = Page("<p>back</p>")
    assert recheck_attribution(db, timedelta(0), fetcher=web["fetcher"]) == {"ok": 1}
    with db.session() as session:
        assert session.get(Article, article_id).attribution_link == "ok"
        assert session.query(AttributionCheck).count() == 2


def test_store_attribution_of_a_missing_article_fails_cleanly(db) -> None:
    from brwatch.attribution import AttributionResult

    with pytest.raises(LookupError):
        store_attribution(db, 999, AttributionResult("ok", checked_at=datetime.now(UTC)))
    with db.session() as session:
        assert session.query(AttributionCheck).count() == 0


def test_a_working_link_wins_over_a_broken_one_and_every_attempt_is_kept(web) -> None:
    port = web["origin"].port
    html = page("来源：新华社", f"http://www.news.cn:{port}/gone.htm").replace(
        "</article>",
        f'<p>其他内容。</p><p>再一段。</p><p><a href="http://www.news.cn:{port}/orig.htm">原文</a></p>'
        "</article>",
    )
    result = check_attribution(html, PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "ok" and result.link_url.endswith("/orig.htm")
    assert [a.get("status") for a in result.evidence["attempts"]] == [404, 200]


def test_an_original_url_written_out_next_to_the_credit_counts(web) -> None:
    written = f"http://www.news.cn:{web['origin'].port}/orig.htm"
    html = page(f"来源：新华社 原文链接：{written}. ")
    result = check_attribution(html, PAGE_URL, "新华社", web["fetcher"])
    assert result.outcome == "ok" and result.link_url == written
    assert result.evidence["link_found"] == "url_in_text"


def test_recheck_runs_checks_side_by_side_and_counts_each(db, web) -> None:
    port = web["origin"].port
    links = {"ok": "/orig.htm", "broken": "/gone.htm"}
    for n in range(6):
        outcome = "ok" if n % 2 else "broken"
        link = f"http://www.news.cn:{port}{links[outcome]}"
        stored_article(db, page("来源：新华社", link), url=f"https://www.reprints.example.com/{n}")
    stored_article(db, page("来源：新华社"), url="https://www.reprints.example.com/none")
    counts = recheck_attribution(db, timedelta(hours=1), fetcher=web["fetcher"], workers=3)
    assert counts == {"ok": 3, "broken": 3, "missing": 1}
    with db.session() as session:
        assert session.query(AttributionCheck).count() == 7
