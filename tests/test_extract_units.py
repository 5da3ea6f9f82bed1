"""extract_article field by field: precedence of hints, JSON-LD, meta, page text; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import htmldate.utils
import pytest
import trafilatura.utils

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import ExtractedArticle, extract_article

PARAGRAPHS = "".join(
    f"<p>The China-Laos Railway carried {n} thousand tonnes of freight this month, officials said, "
    "as traders in Vientiane and Kunming reported shorter delivery times and lower costs.</p>"
    for n in range(8)
)


def _page(head: str = "", body: str = "", url: str = "https://news.example.org/a/1.html", **kw):
    html = f"<html {kw.pop('html_attrs', '')}><head>{head}</head><body>{body}</body></html>"
    return parse_document(FetchedPage(url=url, body=html.encode(), **kw))


JSONLD = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
 {"@type": "WebSite", "name": "Example Wire"},
 {"@type": "NewsArticle", "headline": "Freight on the China-Laos Railway doubles",
  "datePublished": "2026-03-01T08:30:00+08:00",
  "author": [{"@type": "Person", "name": "Li Wei"}, {"@type": "Person", "name": "Ana Souza"}],
  "publisher": {"@type": "Organization", "name": "Example Wire"},
  "image": {"@type": "ImageObject", "url": "/img/train.jpg"}, "inLanguage": "en"}]}
</script>"""


def test_jsonld_fields() -> None:
    article = extract_article(_page(JSONLD + '<link rel="canonical" href="/a/1">', PARAGRAPHS))
    assert article.title == "Freight on the China-Laos Railway doubles"
    assert article.published == datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    assert article.date_source == "jsonld"
    assert article.authors == ["Li Wei", "Ana Souza"]
    assert article.site_name == "Example Wire"
    assert article.image == "https://news.example.org/img/train.jpg"
    assert article.canonical_url == "https://news.example.org/a/1"
    assert article.lang == "en"
    assert "China-Laos Railway carried 7 thousand tonnes" in article.text


def test_hints_from_feeds_come_first() -> None:
    hints = {"title": "Feed title", "published": "2026-02-02T10:00:00Z", "lang": "en"}
    article = extract_article(_page(JSONLD, PARAGRAPHS, hints=hints))
    assert article.title == "Feed title"
    assert article.published == datetime(2026, 2, 2, 10, tzinfo=UTC)
    assert article.date_source == "hint"


def test_meta_tags_when_there_is_no_jsonld() -> None:
    head = (
        '<meta property="og:title" content="Port deal signed - Example Wire">'
        '<meta property="og:site_name" content="Example Wire">'
        '<meta property="article:published_time" content="2026-01-15T09:00:00Z">'
        '<meta name="author" content="Jane Doe, John Roe">'
        '<meta property="og:image" content="//cdn.example.org/p.jpg">'
        '<meta name="description" content="A port deal.">'
    )
    article = extract_article(_page(head, PARAGRAPHS))
    assert article.title == "Port deal signed"
    assert article.published == datetime(2026, 1, 15, 9, tzinfo=UTC)
    assert article.date_source == "meta"
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.image == "https://cdn.example.org/p.jpg"
    assert article.description == "A port deal."


def test_chinese_dateline_under_the_headline_and_title_without_site_name() -> None:
    body = (
        "<div>今天是2026年3月9日</div><h2>中欧班列开行突破十万列</h2>"
        "<div>2026年3月2日 10:21 来源：新华网</div>"
        + "".join(
            f"<p>中欧班列累计开行突破十万列，通达欧洲二十五个国家。第{n}段。</p>" for n in range(10)
        )
    )
    article = extract_article(_page("<title>中欧班列开行突破十万列_新浪网</title>", body))
    assert article.title == "中欧班列开行突破十万列"
    assert article.published == datetime(2026, 3, 2, 10, 21)
    assert article.date_source == "text"
    assert article.lang == "zh"


def test_declared_language_must_agree_with_the_script() -> None:
    body = "".join(f"<p>共建一带一路倡议提出以来，合作不断深化。第{n}段。</p>" for n in range(10))
    assert extract_article(_page(body=body, html_attrs='lang="en"')).lang == "zh"
    portuguese = "".join(
        f"<p>O governo brasileiro discute a adesão à iniciativa, que não foi aprovada pelo "
        f"congresso, mas os projetos de infraestrutura são uma prioridade para o país. {n}</p>"
        for n in range(6)
    )
    assert extract_article(_page(body=portuguese, html_attrs='lang="pt-BR"')).lang == "pt"
    # A template's default language loses to the text's own function words.
    assert extract_article(_page(body=PARAGRAPHS, html_attrs='lang="pt-BR"')).lang == "en"


def test_extraction_leaves_the_shared_tree_intact() -> None:
    footer = "<footer>© 2026 Example Wire. Reproduction is not allowed without permission.</footer>"
    document = _page(JSONLD, PARAGRAPHS + footer)
    tree = document.tree
    article = extract_article(document)
    assert "Reproduction is not allowed" not in article.text
    assert document.tree is tree
    assert "Reproduction is not allowed" in tree.text_content()


def test_the_tree_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    document = _page(JSONLD, PARAGRAPHS)
    assert document.tree is not None

    def refuse(*args, **kwargs):
        raise AssertionError("extraction parsed the HTML again")

    for module in (trafilatura.utils, htmldate.utils):
        monkeypatch.setattr(module, "fromstring", refuse)
        monkeypatch.setattr(module, "fromstring_bytes", refuse)
    assert extract_article(document).text


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body></body></html>", b"\x00\xff<p", b"<p>" * 5000, b"<html><body><p>Hi</p>"],
)
def test_bad_or_empty_pages_give_an_empty_article(body: bytes) -> None:
    article = extract_article(parse_document(FetchedPage(url="http://x.example/", body=body)))
    assert isinstance(article, ExtractedArticle)
    assert article.published is None or article.date_source
    assert len(article.text) < 100


def test_to_dict_is_json_ready() -> None:
    data = extract_article(_page(JSONLD, PARAGRAPHS)).to_dict()
    assert data["published"] == "2026-03-01T08:30:00+08:00"
    assert set(data) >= {"title", "text", "authors", "lang", "canonical_url", "date_source"}


@pytest.mark.parametrize(
    ("head", "authors"),
    [
        (
            '<meta name="author" content="By Anna Martel und Lea Wagner">',
            ["Anna Martel", "Lea Wagner"],
        ),
        (
            '<meta name="author" content="Elena Oberholzer (obe), Oliver Maksan (oma)">',
            ["Elena Oberholzer", "Oliver Maksan"],
        ),
        (
            '<meta name="citation_author" content="You, Xiaoying">'
            '<meta name="citation_author" content="Basu, Mohana">',
            ["Xiaoying You", "Mohana Basu"],
        ),
        ('<meta name="author" content="a.sleegers@example.de">', []),
        ('<meta name="author" content="105092">', []),
        ('<meta name="author" content="신현주 기자">', ["신현주"]),
    ],
)
def test_author_names_are_cleaned(head: str, authors: list[str]) -> None:
    assert extract_article(_page(head, PARAGRAPHS)).authors == authors


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 06 Sep 2021 16:45:00 +0000", datetime(2021, 9, 6, 16, 45, tzinfo=UTC)),
        ("2021-09-06", datetime(2021, 9, 6)),
        (datetime(2021, 9, 6, 8, tzinfo=UTC), datetime(2021, 9, 6, 8, tzinfo=UTC)),
        ("2021年9月6日 08:30", datetime(2021, 9, 6, 8, 30)),
    ],
)
def test_feed_dates_in_every_shape(value, expected) -> None:
    article = extract_article(_page(JSONLD, PARAGRAPHS, hints={"published": value}))
    assert (article.published, article.date_source) == (expected, "hint")


def test_implausible_dates_are_ignored() -> None:
    article = extract_article(_page(JSONLD, PARAGRAPHS, hints={"published": "1970-01-01"}))
    assert article.date_source == "jsonld"


def test_copyright_rows_of_layout_tables_are_not_article_text() -> None:
    story = "".join(
        f"<tr><td>中欧班列今年开行超过一万列，运输货物种类不断增加，带动沿线地区经济发展。第{n}段。</td></tr>"
        for n in range(8)
    )
    footer = (
        "<tr><td>Copyright © 2005 Sohu.com Inc. All rights reserved. 搜狐公司 版权所有</td></tr>"
    )
    own_terms = "<p>© 本文版权归作者所有，未经授权不得转载。</p>"
    body = f"<table>{story}{footer}</table>{own_terms}"
    text = extract_article(_page("<title>中欧班列</title>", body)).text
    assert "中欧班列今年开行超过一万列" in text
    assert "Sohu.com" not in text
    assert "本文版权归作者所有，未经授权不得转载" in text  # the article's own terms stay
