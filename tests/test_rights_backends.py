"""The two page readers (lxml tree the crawler parsed, lexbor parse of raw HTML) read the same
text and signals from every page, deep, huge and broken ones included, and give the same
verdicts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from extruct.jsonld import JsonLdExtractor

from brwatch.document import parse_document
from brwatch.document.nesting import MAX_NESTING, may_nest_deeper
from brwatch.rights import verdict_for
from brwatch.rights.evaluation import document_for, load_labels
from brwatch.rights.reader import (
    READER_ENV,
    LexborPageReader,
    LxmlPageReader,
    PageReader,
    configured_reader,
    reader_for,
)
from brwatch.rights.signals import jsonld_items
from tests.conftest import CORPORA

LABELS = Path(__file__).parent / "data" / "rights"
FIELDS = ("status", "license", "requires_link", "credit", "origin", "obligations", "conflict")
# libxml2 used to lose most of this page's <body> after a stray "</html>" (its text: 62
# characters, lexbor's: 858), footer notice "版权所有：中国政府网" included.
STRAY_END_TAG_PAGE = "gne-test-pages/html/other/1.html.gz"
# A <div> between a table's rows: HTML puts it before the table, libxml2 where it stands. The
# lines are the same, in another order; no other corpus page differs at all.
FOSTER_PARENTED = frozenset(
    {"chinese-web-content-extraction/html/9b1e5dcb-3a68-408d-80c4-6878fade378b.html.gz"}
)


def _both(doc_source: bytes | str) -> tuple[object, object]:
    by_lxml = parse_document(doc_source, "")
    by_lexbor = parse_document(doc_source, "")
    return (
        verdict_for(by_lxml, reader=LxmlPageReader(by_lxml)),
        verdict_for(by_lexbor, reader=LexborPageReader(by_lexbor)),
    )


def _key(verdict: object) -> tuple[object, ...]:
    return tuple(getattr(verdict, field) for field in FIELDS)


def test_both_readers_give_the_same_verdict_on_every_labelled_item() -> None:
    items = [item for f in sorted(LABELS.glob("*.yaml")) for item in load_labels(f)]
    assert len(items) >= 500
    differing = []
    for item in items:
        doc = document_for(item, CORPORA)
        lexbor_doc = document_for(item, CORPORA)
        by_lxml = verdict_for(doc, reader=LxmlPageReader(doc))
        by_lexbor = verdict_for(lexbor_doc, reader=LexborPageReader(lexbor_doc))
        if _key(by_lxml) != _key(by_lexbor):
            differing.append((item.file, _key(by_lxml), _key(by_lexbor)))
        # The evidence too: same rules, same scopes, same text.
        evidence = [
            [(e.rule_id, e.scope, e.text) for e in v.evidence] for v in (by_lxml, by_lexbor)
        ]
        if evidence[0] != evidence[1]:
            differing.append((item.file, *evidence))
    assert differing == []


def test_a_stray_end_tag_no_longer_loses_the_page_in_lxml() -> None:
    raw = gzip.decompress((CORPORA / STRAY_END_TAG_PAGE).read_bytes())
    lxml_doc, lexbor_doc = parse_document(raw, ""), parse_document(raw, "")
    lxml_text = LxmlPageReader(lxml_doc).page_text().text
    assert lxml_text == LexborPageReader(lexbor_doc).page_text().text
    assert "版权所有：中国政府网" in lxml_text
    assert verdict_for(lxml_doc, reader=LxmlPageReader(lxml_doc)).status == "permission_required"
    # Extraction reads the same tree: the article after the stray tag is there.
    assert len(lxml_doc.tree.xpath("string(/html/body)")) > 5 * 62


@pytest.mark.slow
def test_both_readers_read_the_same_text_from_every_corpus_page() -> None:
    pages = sorted(CORPORA.rglob("*.html.gz"))
    assert len(pages) >= 1000
    differing = []
    for path in pages:
        raw = gzip.decompress(path.read_bytes())
        by_lxml, by_lexbor = parse_document(raw, ""), parse_document(raw, "")
        lxml_text = LxmlPageReader(by_lxml).page_text().text
        lexbor_text = LexborPageReader(by_lexbor).page_text().text
        if lxml_text == lexbor_text:
            continue
        name = str(path.relative_to(CORPORA))
        if name in FOSTER_PARENTED and sorted(lxml_text.split("\n")) == sorted(
            lexbor_text.split("\n")
        ):
            continue
        differing.append(name)
    assert differing == []


def test_the_reordered_page_gets_the_same_verdict() -> None:
    for name in FOSTER_PARENTED:
        raw = gzip.decompress((CORPORA / name).read_bytes())
        verdicts = _both(raw)
        assert _key(verdicts[0]) == _key(verdicts[1])


def test_the_reader_is_chosen_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    markup = "<html><body><footer>© 2024 Xinhua. All rights reserved.</footer></body></html>"
    try:
        monkeypatch.delenv(READER_ENV, raising=False)
        configured_reader.cache_clear()
        # auto: a fresh page is parsed by lexbor, a page the crawler parsed is read from its tree
        assert isinstance(reader_for(parse_document(markup.encode(), "")), LexborPageReader)
        crawled = parse_document(markup.encode(), "")
        crawled.tree  # noqa: B018 - parsed for extraction
        assert isinstance(reader_for(crawled), LxmlPageReader)
        monkeypatch.setenv(READER_ENV, "lexbor")
        configured_reader.cache_clear()
        assert isinstance(reader_for(crawled), LexborPageReader)
        monkeypatch.setenv(READER_ENV, "lxml")
        configured_reader.cache_clear()
        parsed = parse_document(markup.encode(), "")
        assert isinstance(reader_for(parsed), LxmlPageReader)
        assert verdict_for(parsed).status == "permission_required"
        monkeypatch.setenv(READER_ENV, "html5lib")
        configured_reader.cache_clear()
        with pytest.raises(ValueError, match="BRWATCH_RIGHTS_READER='html5lib'"):
            reader_for(parsed)
    finally:
        monkeypatch.delenv(READER_ENV, raising=False)
        configured_reader.cache_clear()


def test_nul_in_the_markup_reads_the_same_in_both() -> None:
    markup = "<html><body><p>a\0b</p><footer>未经授权\0禁止转载</footer></body></html>"
    texts = [r.page_text().text for r in _readers(markup)]
    assert texts[0] == texts[1] and "\0" not in texts[0]
    by_lxml, by_lexbor = _both(markup)
    assert _key(by_lxml) == _key(by_lexbor)


def _readers(markup: str) -> list[PageReader]:
    return [
        LxmlPageReader(parse_document(markup, "")),
        LexborPageReader(parse_document(markup, "")),
    ]


def test_both_readers_read_the_same_head_metas() -> None:
    head = (
        '<meta charset="utf-8"><meta property="og:x" name="copyright" content="A">'
        '<meta name=" Copyright " content="© B"><meta name="robots">'
        '<meta http-equiv="X" content="">'
    )
    metas = [r.head_metas() for r in _readers(f"<html><head>{head}</head><body>x</body></html>")]
    assert metas[0] == metas[1]
    assert [m.get("content") for m in metas[0]] == ["A", "© B", ""]
    # Filtered by the first naming attribute, as the XPath before them: og:x is not a rights name.
    verdicts = _both(f"<html><head>{head}</head><body><p>Story</p></body></html>")
    assert _key(verdicts[0]) == _key(verdicts[1])
    assert [e.text for e in verdicts[0].evidence] == ["© B"]  # type: ignore[attr-defined]


def test_both_readers_find_the_same_license_links_in_document_order() -> None:
    body = (
        '<a href="/about">about</a><link rel="License" href="https://creativecommons.org/licenses/by/4.0/">'
        '<figure><a href="https://creativecommons.org/licenses/by-nd/4.0/">photo</a></figure>'
        '<span property="cc:license" resource="https://creativecommons.org/licenses/by-sa/4.0/">'
        '</span><a rel="LICENSE" href="/terms">terms</a><a rel="license">no href</a>'
    )
    links = [r.license_links() for r in _readers(f"<html><body>{body}</body></html>")]
    assert links[0] == links[1]
    assert [
        (attributes.get("href") or attributes.get("resource"), media)
        for attributes, media in links[0]
    ] == [
        ("https://creativecommons.org/licenses/by/4.0/", False),
        ("https://creativecommons.org/licenses/by-nd/4.0/", True),
        ("https://creativecommons.org/licenses/by-sa/4.0/", False),
        ("/terms", False),
    ]


def test_jsonld_read_as_extruct_reads_it() -> None:
    scripts = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "license": "x"}</script>'
        '<script type="application/ld+json">// comment line\n[{"copyrightHolder": "Y"}, {}]'
        '</script><script type="Application/LD+JSON">{"ignored": true}</script>'
    )
    markup = f"<html><head>{scripts}</head><body>x</body></html>"
    texts = [r.jsonld_scripts() for r in _readers(markup)]
    assert texts[0] == texts[1] and len(texts[0]) == 2
    expected = JsonLdExtractor().extract_items(parse_document(markup, "").tree)
    assert (
        jsonld_items(texts[0])
        == expected
        == [
            {"@type": "NewsArticle", "license": "x"},
            {"copyrightHolder": "Y"},
        ]
    )
    with pytest.raises(ValueError):  # one broken script: extruct loses the page's JSON-LD too
        jsonld_items(['{"a": 1}', "{broken"])


def test_the_lexbor_reader_refuses_markup_reads_after_taking_the_scripts_out() -> None:
    reader = LexborPageReader(parse_document("<body><script>x</script><p>y</p></body>", ""))
    assert reader.page_text().text == "y"
    with pytest.raises(RuntimeError):
        reader.jsonld_scripts()


def test_lexbor_text_nodes_are_found_from_both_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hits are placed by walking back from the end of <body> or forward from its start; both
    walks find the nodes the lxml reader finds, past comments, scripts, styles and tails."""
    import brwatch.rights.page as page_module

    markup = (
        "<html><body><div class='story'>lead <b>bold</b> tail<!-- note --> after</div>"
        "<script>var x = '© 2024';</script><style>p{}</style>"
        "<footer><p>© 2024 Example <a>Media</a>. All rights reserved.</p>"
        "<span>one</span><span>two</span> last words</footer></body></html>"
    )
    words = ("lead", "tail", "after", "Media", ". All", "last")

    def places(reader: PageReader) -> list[tuple[str | None, bool]]:
        text = reader.page_text()
        nodes = text.nodes_at([text.text.index(word) for word in words])
        return [text.place(node) for node in nodes]

    lxml_places = places(_readers(markup)[0])
    walked = places(_readers(markup)[1])
    monkeypatch.setattr(page_module, "_BACKWARD_WALK_NODES", -1)  # walk forward only
    forward = places(_readers(markup)[1])
    assert lxml_places == walked == forward
    assert lxml_places == [(None, True)] * 3 + [("footer", False)] * 3


def test_both_readers_measure_the_same_share_of_the_page() -> None:
    """The lexbor reader does not list ASCII-blank text nodes, yet places a hit at the same
    share of the whole text (blank nodes counted) as the lxml reader."""
    markup = (
        "<html><body>\n  <div>\n    <p>first words</p>\n    <p>\xa0</p>\n  </div>\n"
        "  <p>middle <b>part</b></p>\n\t\n  <div>© 2024 Example</div>\n</body></html>"
    )
    texts = [r.page_text() for r in _readers(markup)]
    assert texts[0].text == texts[1].text
    assert len(texts[1].nodes) < len(texts[0].nodes)  # the blank nodes were left out
    for word in ("first", "middle", "part", "Example"):
        offset = texts[0].text.index(word)
        assert texts[0].share_before(offset) == texts[1].share_before(offset) > 0


@pytest.mark.parametrize("depth", [300, 2_500, 5_000, 50_000])
def test_deep_nesting_keeps_the_tail_in_both_readers(depth: int) -> None:
    """libxml2 drops everything after depth 256 (2,048 with huge_tree) and lexbor slows with
    the square of the depth: markup deeper than MAX_NESTING is flattened first, so both read
    the whole page, its footer licence and notice included."""
    nested = (
        "<html><body>" + "<div>" * depth + "<p>Story</p>" + "</div>" * depth
        + '<footer><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC</a>'
        "<p>Licensed under CC BY 4.0. Reproduction of photos is not allowed.</p></footer>"
        "</body></html>"
    )  # fmt: skip
    texts = [r.page_text().text for r in _readers(nested)]
    assert texts[0] == texts[1]
    assert "Licensed under CC BY 4.0" in texts[0]
    for verdict in _both(nested.encode()):
        assert verdict.status == "open_license" and verdict.license == "CC-BY-4.0"
    assert may_nest_deeper(nested) == (depth > MAX_NESTING)


def test_wide_pages_are_not_flattened() -> None:
    wide = "<html><body>" + "<p>word <b>bold</b></p>" * 50_000 + "</body></html>"
    assert not may_nest_deeper(wide.encode())
    # Only the closing </body></html> goes (HTML reads past them; libxml2 would not).
    assert parse_document(wide.encode(), "").markup == wide.encode().removesuffix(b"</body></html>")
