"""Attribution outcomes, reprint direction and the reuse gate for publishers learned from the
sources (issue 12), against sites on loopback: English and GBK Chinese."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from brwatch.attribution import check_attribution
from brwatch.attribution.identities import publisher_directory, record_pages, record_sources
from brwatch.attribution.registry import PublisherRegistry
from brwatch.fetch import SafeFetcher
from brwatch.provenance.links import choose_original_why
from brwatch.reuse import ArticleFacts, gate, parse_draft
from brwatch.sources import Source
from brwatch.storage import Database
from tests.sites import Page, Site

HERALD_TITLE = "Silk Road Herald"


def _directory(db: Database, herald: Site, silkecon: Site, wire: Site) -> PublisherRegistry:
    """Three crawled sources; the Herald and 丝路经济网 named only by their pages."""
    with db.session() as session:
        record_sources(
            session,
            [
                Source(name="herald", start_urls=[herald.url("/list/1.html")]),
                Source(name="silkecon", sitemaps=[silkecon.url("/sitemap.xml")]),
                Source(name="eurasia", title="Eurasia Wire", sitemaps=[wire.url("/s.xml")]),
            ],
        )
        record_pages(
            session,
            [
                *((("herald", herald.url(f"/news/{n}.html"), [(HERALD_TITLE, "title suffix")]))
                  for n in range(4)),
                *((("silkecon", silkecon.url(f"/zh/{n}.html"), [("丝路经济网", "header logo")]))
                  for n in range(4)),
            ],
        )  # fmt: skip
    return publisher_directory(db)


def copy_page(credit: str, link: str | None, anchor: str) -> bytes:
    linked = f"<a href='{link}'>{anchor}</a>" if link else ""
    return (
        "<html><head><meta charset='gbk'></head><body><article><h1>中欧班列开行突破十万列</h1>"
        "<p>中欧班列累计开行突破十万列，通达欧洲二十五个国家，一带一路合作不断深化。</p>"
        f"<p class='source'>{credit} {linked}</p></article></body></html>"
    ).encode("gbk")


def test_outcomes_for_learned_publishers(db: Database, serve_site: Callable[..., Site]) -> None:
    herald = serve_site("127.0.0.101", {"/news/1.html": Page("<p>original</p>")})
    silkecon = serve_site("127.0.0.102", {"/zh/1.html": Page("<p>原文</p>")})
    wire = serve_site("127.0.0.103", {"/en/1.html": Page("<p>other</p>")})
    directory = _directory(db, herald, silkecon, wire)
    fetcher = SafeFetcher(allowed_networks=["127.0.0.0/8"], timeout=5)
    page_url = "http://127.0.0.104/copy/1.html"

    def outcome(credit: str, origin: str, link: str | None, anchor: str = "原文") -> Any:
        html = copy_page(credit, link, anchor)
        return check_attribution(html, page_url, origin, fetcher, registry=directory)

    ok = outcome("来源：丝路经济网", "丝路经济网", silkecon.url("/zh/1.html"))
    assert ok.outcome == "ok" and ok.publisher == "source:silkecon"
    missing = outcome("来源：丝路经济网", "丝路经济网", None)
    assert missing.outcome == "missing"
    broken = outcome("Source: Silk Road Herald", HERALD_TITLE, herald.url("/gone.html"), "link")
    assert broken.outcome == "broken" and broken.publisher == "source:herald"
    # A link beside the credit that lands on another known publisher's site.
    wrong = outcome("Source: Silk Road Herald", HERALD_TITLE, wire.url("/en/1.html"), "original")
    assert wrong.outcome == "wrong_target", wrong.evidence
    # A publisher nobody knows: a link landing on the stored original is still ok.
    unknown = check_attribution(
        copy_page("Source: Tiny Gazette", herald.url("/news/1.html"), "x"),
        page_url,
        "Tiny Gazette",
        fetcher,
        origin_url=herald.url("/news/1.html"),
        registry=directory,
    )
    assert unknown.outcome == "ok" and "stored original" in unknown.evidence["reason"]


@dataclass
class Member:
    id: int
    url: str
    canonical_url: str | None
    origin: str | None
    published: datetime | None
    first_seen_at: datetime | None
    reprint_of_id: int | None = None


def test_a_copy_crediting_a_publisher_is_never_its_original(
    db: Database, serve_site: Callable[..., Site]
) -> None:
    herald, silkecon, wire = (serve_site(f"127.0.0.{n}") for n in (105, 106, 107))
    directory = _directory(db, herald, silkecon, wire)
    same = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    # The aggregator's copy was fetched first; the dates tie to the second.
    copy = Member(1, "http://127.0.0.108/copy/1.html", None, "丝路经济网", same, same)
    original = Member(2, silkecon.url("/zh/1.html"), None, None, same, same.replace(hour=9))
    chosen, why = choose_original_why([copy, original], copy.origin, directory)
    assert chosen is original and why == "claimed origin: 丝路经济网"
    # Without the publisher's page: a copy crediting someone else does not outrank one that
    # credits no one, even published earlier.
    early = same.replace(hour=6)
    credited = Member(3, "http://127.0.0.108/copy/2.html", None, HERALD_TITLE, early, early)
    plain = Member(4, "http://127.0.0.109/x.html", None, None, same, same)
    chosen, why = choose_original_why([credited, plain], None, directory)
    assert chosen is plain and "credit no other publisher" in why
    # Nobody claims anything and the dates tie: the first fetched.
    a = Member(5, "http://127.0.0.108/a", None, None, same, same.replace(hour=10))
    b = Member(6, "http://127.0.0.109/b", None, None, same, same.replace(hour=7))
    assert choose_original_why([a, b], None, directory) == (
        b,
        "first seen earliest (publication dates tie)",
    )


def test_the_gate_demands_the_credit_whatever_identity_the_site_has(
    db: Database, serve_site: Callable[..., Site]
) -> None:
    herald, silkecon, wire = (serve_site(f"127.0.0.{n}") for n in (110, 111, 112))
    directory = _directory(db, herald, silkecon, wire)
    article = herald.url("/news/1.html")
    credit_and_link = {"status": "attribution_required", "requires_link": True, "evidence": []}
    facts = ArticleFacts(url=article, rights=credit_and_link)
    linked_only = parse_draft(f"<p>Freight grew. <a href='{article}'>original</a></p>")
    result = gate(facts, linked_only, registry=directory)
    assert not result.may_publish
    reason = next(r for r in result.reasons if r.code == "missing_credit")
    assert HERALD_TITLE in reason.message and "Source: Silk Road Herald" in reason.fix
    credited = parse_draft(
        f"<p>Freight grew. Source: Silk Road Herald <a href='{article}'>x</a></p>"
    )
    assert gate(facts, credited, registry=directory).may_publish
    # A CC BY page of a Chinese source named only by its logo: the licence asks for credit.
    cc = ArticleFacts(
        url=silkecon.url("/zh/1.html"),
        rights={"status": "open_license", "license": "CC-BY-4.0", "evidence": []},
    )
    named = parse_draft("<p>中欧班列。Licensed under CC BY 4.0.</p>")
    reasons = {r.code: r for r in gate(cc, named, registry=directory).reasons}
    assert "丝路经济网" in reasons["missing_credit"].message
    # A site nobody has named: its host is what to credit.
    stranger = ArticleFacts(url="http://127.0.0.113/a.html", rights=credit_and_link)
    reasons = {r.code: r for r in gate(stranger, linked_only, registry=directory).reasons}
    assert "127.0.0.113" in reasons["missing_credit"].message
