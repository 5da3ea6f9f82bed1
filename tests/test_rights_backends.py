"""The two page readers (lxml tree the crawler parsed, lexbor parse of raw HTML) give the same
verdicts, and each reads the markup signals the same way."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from extruct.jsonld import JsonLdExtractor

from brwatch.document import parse_document
from brwatch.rights import verdict_for
from brwatch.rights.evaluation import document_for, load_labels
from brwatch.rights.reader import (
    LexborPageReader,
    LxmlPageReader,
    PageReader,
    may_nest_deeper,
    reader_for,
)
from brwatch.rights.signals import jsonld_items
from tests.conftest import CORPORA

LABELS = Path(__file__).parent / "data" / "rights"
FIELDS = ("status", "license", "requires_link", "credit", "origin", "obligations", "conflict")
# libxml2 loses most of this page's <body> (its text: 62 characters, lexbor's: 858), footer
# notice "版权所有：中国政府网" included; only lexbor's reading sees it, and its label says so.
LXML_LOSES_THE_BODY = "gne-test-pages/html/other/1.html.gz"


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
        if item.file == LXML_LOSES_THE_BODY and item.html is None:
            continue
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


def test_the_page_lxml_misreads_is_read_whole_by_lexbor() -> None:
    """The one known difference stays what it is: lxml's parse losing the body, not a reader
    bug (should libxml2 stop losing it, the page joins the test above)."""
    raw = gzip.decompress((CORPORA / LXML_LOSES_THE_BODY).read_bytes())
    lxml_doc, lexbor_doc = parse_document(raw, ""), parse_document(raw, "")
    lxml_text = LxmlPageReader(lxml_doc).page_text().text
    lexbor_text = LexborPageReader(lexbor_doc).page_text().text
    assert "版权所有" not in lxml_text and len(lxml_text) * 5 < len(lexbor_text)
    assert "版权所有：中国政府网" in lexbor_text
    assert verdict_for(lexbor_doc).status == "permission_required"


def test_raw_html_goes_to_lexbor_and_a_parsed_tree_to_lxml() -> None:
    markup = "<html><body><footer>© 2024 Xinhua. All rights reserved.</footer></body></html>"
    fresh = parse_document(markup.encode(), "")
    assert isinstance(reader_for(fresh), LexborPageReader)
    parsed = parse_document(markup.encode(), "")
    parsed.tree  # noqa: B018 - parsed by the crawler for extraction
    assert isinstance(reader_for(parsed), LxmlPageReader)
    # lexbor joins text nodes with NUL, so markup holding NUL is read from the lxml tree.
    assert isinstance(reader_for(parse_document("<p>a\0b</p>", "")), LxmlPageReader)
    assert verdict_for(fresh).status == verdict_for(parsed).status == "permission_required"


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


def test_deeply_nested_markup_is_read_with_lxml() -> None:
    """lexbor's tree builder slows down with the square of the nesting depth (100,000 nested
    <div>s: minutes); such markup goes to lxml, which stops at depth 256. Ordinary pages,
    and wide ones, stay with lexbor."""
    depth = 50_000
    nested = "<html><body>" + "<div>" * depth + "x" + "</div>" * depth + "</body></html>"
    assert may_nest_deeper(nested) and may_nest_deeper(nested.encode())
    assert isinstance(reader_for(parse_document(nested.encode(), "")), LxmlPageReader)
    wide = "<html><body>" + "<p>word <b>bold</b></p>" * 50_000 + "</body></html>"
    assert not may_nest_deeper(wide.encode())
    assert isinstance(reader_for(parse_document(wide.encode(), "")), LexborPageReader)
    for item in load_labels(LABELS / "pages.yaml")[:50]:
        assert isinstance(reader_for(document_for(item, CORPORA)), LexborPageReader)
