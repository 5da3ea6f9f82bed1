"""Document: one parse per page, shared by every stage, whatever the markup."""

from __future__ import annotations

from brwatch.document import Document, FetchedPage, parse_document
from brwatch.document.document import MAX_PARSE_CHARS


def test_xhtml_with_an_xml_declaration_keeps_its_content() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?>\n<html><body><p>一带一路</p></body></html>'
    document = parse_document(FetchedPage(url="http://x.example/", body=body.encode()))
    assert document.tree.text_content() == "一带一路"


def test_the_tree_is_built_once_and_shared() -> None:
    document = parse_document("<html><body><p>Hello</p></body></html>")
    assert document.tree is document.tree


def test_fetched_page_headers_hints_and_encoding_are_carried() -> None:
    page = FetchedPage(
        url="http://x.example/a",
        body="<p>Café</p>".encode("cp1252"),
        headers={"content-type": "text/html; charset=windows-1252"},
        hints={"title": "From the feed"},
    )
    document = parse_document(page)
    assert (document.encoding, document.encoding_basis) == ("cp1252", "header")
    assert document.headers["content-type"].startswith("text/html")
    assert document.hints == {"title": "From the feed"}
    assert document.url == "http://x.example/a"


def test_bytes_with_headers_and_plain_text() -> None:
    body = "<p>Пояс и путь</p>".encode("cp1251")
    document = parse_document(
        body, "http://x.example/", headers={"Content-Type": "text/html; charset=cp1251"}
    )
    assert "Пояс и путь" in document.text
    assert Document("<p>x</p>").encoding_basis == "given"


def test_fragments_and_oversized_pages() -> None:
    assert parse_document("<p>only a fragment</p>").tree.text_content() == "only a fragment"
    huge = "<html><body>" + "<p>word</p>" * (MAX_PARSE_CHARS // 10) + "</body></html>"
    oversized = parse_document(huge)
    # cut in the middle to fit, its end kept (tests/test_document_size.py)
    assert len(oversized.text) <= MAX_PARSE_CHARS + 100 and oversized.truncated
    assert oversized.text.endswith("</body></html>")
