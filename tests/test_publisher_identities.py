"""Publishers known from the sources and from the sites: names learned with where they came
from, origin claims resolved to them, spoofed names refused, `brwatch publishers`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brwatch.attribution.identities import (
    LearnedPublisher,
    learned_publishers,
    publisher_directory,
    record_pages,
    record_sources,
)
from brwatch.document import parse_document
from brwatch.extract import extract_article
from brwatch.rights import verdict_for
from brwatch.sources import Source
from brwatch.storage import Database

HERALD = "http://127.0.0.71:8001"
SILKECON = "http://127.0.0.72:8002"
DIGEST = "http://127.0.0.73:8003"


def herald_page(n: int) -> bytes:
    body = "".join(f"<p>Rail freight on the corridor grew again, part {k}.</p>" for k in range(8))
    return (
        f"<html><head><title>Corridor story {n} - Silk Road Herald</title></head><body>"
        "<header><a class='site-logo' href='/'>Silk Road Herald</a></header>"
        f"<article><h1>Corridor story {n}</h1>{body}</article>"
        "<footer>© 2026 Silk Road Herald. All rights reserved.</footer></body></html>"
    ).encode()


def silkecon_page(n: int) -> bytes:
    body = "".join(
        f"<p>中欧班列开行数量继续增长，一带一路合作不断深化，第{k}段。</p>" for k in range(8)
    )
    return (
        f"<html><head><title>班列新闻{n}_丝路经济网</title></head><body>"
        "<div id='header'><div class='logo'><img src='/l.png' alt='丝路经济网'></div></div>"
        f"<h1>班列新闻{n}</h1>{body}<div class='footer'>版权所有：丝路经济网</div></body></html>"
    ).encode("gbk")


def digest_page(n: int, spoof: str | None = None) -> bytes:
    og = f"<meta property='og:site_name' content='{spoof}'>" if spoof else ""
    body = "".join(f"<p>Copied text about ports and railways, part {k}.</p>" for k in range(8))
    return (
        f"<html><head>{og}<title>Digest item {n} | Belt Road Digest</title></head><body>"
        f"<article><h1>Digest item {n}</h1>{body}<p>Source: Silk Road Herald</p></article>"
        "</body></html>"
    ).encode()


def names_of(url: str, html: bytes) -> list[tuple[str, str]]:
    return extract_article(parse_document(html, url)).site_names


def test_pages_name_their_site_in_english_and_gbk_chinese() -> None:
    english = extract_article(parse_document(herald_page(1), f"{HERALD}/news/1.html"))
    assert english.site_name == "Silk Road Herald"
    assert english.title == "Corridor story 1"
    assert english.site_names == [
        ("Silk Road Herald", "title suffix"),
        ("Silk Road Herald", "header logo"),
        ("Silk Road Herald", "copyright holder"),
    ]
    chinese = extract_article(parse_document(silkecon_page(1), f"{SILKECON}/zh/1.html"))
    assert chinese.site_name == "丝路经济网" and chinese.title == "班列新闻1"
    assert {where for _, where in chinese.site_names} == {
        "title suffix",
        "header logo",
        "copyright holder",
    }
    declared = digest_page(1, spoof="Silk Road Herald")
    assert names_of(DIGEST, declared)[0] == ("Silk Road Herald", "og:site_name")


def _sources() -> list[Source]:
    return [
        Source(name="herald", start_urls=[f"{HERALD}/list/1.html"]),  # no title: learned
        Source(name="silkecon", title="丝路经济网", sitemaps=[f"{SILKECON}/sitemap.xml"]),
        Source(name="digest", title="Belt Road Digest", feeds=[f"{DIGEST}/feed.xml"]),
    ]


def _crawled(db: Database, spoof: bool) -> None:
    pages = []
    for n in range(6):
        pages.append(("herald", f"{HERALD}/news/{n}.html", names_of(HERALD, herald_page(n))))
        pages.append(("silkecon", f"{SILKECON}/zh/{n}.html", names_of(SILKECON, silkecon_page(n))))
        spoofed = digest_page(n, spoof="Silk Road Herald" if spoof else None)
        pages.append(("digest", f"{DIGEST}/item/{n}.html", names_of(DIGEST, spoofed)))
    with db.session() as session:
        record_sources(session, _sources())
        record_pages(session, pages)


def test_sources_and_pages_become_publishers_with_where_each_name_came_from(
    db: Database,
) -> None:
    _crawled(db, spoof=False)
    directory = publisher_directory(db)
    learned = {p.source: p for p in learned_publishers(directory)}
    assert set(learned) == {"herald", "silkecon", "digest"}
    herald = learned["herald"]
    assert herald.name == "Silk Road Herald" and herald.domains == ("127.0.0.71",)
    places = {found_in for value, _, found_in, _ in herald.found if value == "Silk Road Herald"}
    assert places == {"title suffix", "header logo", "copyright holder"}
    assert learned["silkecon"].name == "丝路经济网"  # the sources title comes first
    assert ("丝路经济网", "name", "sources title", 0) in learned["silkecon"].found
    # Origin claims resolve to the crawled source that calls itself so; registered ones stay.
    for claim, expected in (
        ("<p>Source: Silk Road Herald</p>", "source:herald"),
        ("<p>来源：丝路经济网</p>", "source:silkecon"),
        ("<p>МОСКВА, 5 мая. /ТАСС/. Экспорт зерна вырос.</p>", "tass"),
    ):
        page = (
            f"<html><body><article><p>Ports and rail links grew.</p>{claim}</article></body></html>"
        )
        origin = verdict_for(parse_document(page.encode(), f"{DIGEST}/x")).origin
        found = directory.match_name(origin)
        assert found is not None and found.id == expected, (claim, origin)
    assert directory.match_domain(f"{SILKECON}/zh/3.html").id == "source:silkecon"


def test_a_spoofed_site_name_does_not_rekey_another_publisher(db: Database) -> None:
    _crawled(db, spoof=True)  # every digest page says og:site_name "Silk Road Herald"
    directory = publisher_directory(db)
    learned = {p.source: p for p in learned_publishers(directory)}
    assert "Silk Road Herald" not in learned["digest"].names
    assert learned["digest"].name == "Belt Road Digest"
    assert directory.match_name("Silk Road Herald").id == "source:herald"
    # A sources title outranks any page: a site calling itself 丝路经济网 does not get it.
    with db.session() as session:
        record_pages(
            session,
            [("herald", f"{HERALD}/x/{n}", [("丝路经济网", "og:site_name")]) for n in range(9)],
        )
    directory = publisher_directory(db)
    assert directory.match_name("丝路经济网").id == "source:silkecon"
    herald = next(p for p in learned_publishers(directory) if p.source == "herald")
    assert "丝路经济网" not in herald.names


def test_a_source_on_a_registered_domain_is_that_publisher(db: Database) -> None:
    with db.session() as session:
        record_sources(
            session, [Source(name="tass-en", title="TASS", feeds=["https://tass.com/rss"])]
        )
        record_pages(
            session, [("tass-en", "https://tass.com/economy/1", [("TASS", "og:site_name")])]
        )
    directory = publisher_directory(db)
    assert not learned_publishers(directory)
    assert directory.match_name("TASS").id == "tass"
    assert not isinstance(directory.match_domain("https://tass.com/x"), LearnedPublisher)


def test_brwatch_publishers_lists_both_kinds(
    brwatch: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    _crawled(db, spoof=False)
    db.dispose()
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{name: herald, start_urls: ['{HERALD}/list/1.html']}}\n"
        f"  - {{name: silkecon, title: 丝路经济网, sitemaps: ['{SILKECON}/sitemap.xml']}}\n"
        f"  - {{name: digest, title: Belt Road Digest, feeds: ['{DIGEST}/feed.xml']}}\n",
        encoding="utf-8",
    )
    result = brwatch("--sources", str(sources), "publishers", "--json", db=db_url)
    assert result.returncode == 0, result
    entries = {e["id"]: e for e in map(json.loads, result.stdout.splitlines())}
    assert entries["xinhua"]["learned"] is False
    assert entries["xinhua"]["names"][0]["found_in"] == ["rules/publishers.yaml"]
    herald = entries["source:herald"]
    assert herald["learned"] and herald["name"] == "Silk Road Herald"
    assert {
        "name": "Silk Road Herald",
        "found_in": ["copyright holder", "header logo", "title suffix"],
        "pages": 6,
    } in herald["names"]
    assert herald["hosts"][0]["host"] == "127.0.0.71"
    wide = {"COLUMNS": "250"}
    table = brwatch("--sources", str(sources), "publishers", "--learned", db=db_url, env=wide)
    assert "Belt Road Digest" in table.stdout and "sources title" in table.stdout
