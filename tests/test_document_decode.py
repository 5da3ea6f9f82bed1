"""Decoding: declared, undeclared and wrongly declared encodings, over whole real corpora."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from lxml import etree

from brwatch.document import FetchedPage, decode_html, parse_document
from brwatch.document.decode import declared_encodings
from tests.conftest import CORPORA

CHINESE = CORPORA / "chinese-web-content-extraction"
TRAFILATURA = CORPORA / "trafilatura-eval-subset"
# Visible text without ruby annotations (the furigana readings between Japanese characters).
_TEXT = etree.XPath("//text()[not(ancestor::rt) and not(ancestor::rp) and not(ancestor::script)]")
_SPACE = re.compile(r"\s+")


def _visible(body: bytes, content_type: str | None = None) -> str:
    headers = {"content-type": content_type} if content_type else {}
    document = parse_document(FetchedPage(url="http://example.test/", body=body, headers=headers))
    return "".join(_TEXT(document.tree))


def test_every_chinese_page_decodes_to_its_ground_truth() -> None:
    """All 63 pages (GB2312/GBK declared, GBK undeclared, UTF-8): the hand-copied main text
    starts somewhere in the decoded page."""
    pages = sorted((CHINESE / "html").glob("*.html.gz"))
    assert len(pages) == 63
    for path in pages:
        page_id = path.name.split(".")[0]
        truth = (CHINESE / "ground-truth" / "cleaned" / f"{page_id}.txt").read_text("utf-8")
        start = _SPACE.sub("", truth)[:12]
        assert start in _SPACE.sub("", _visible(gzip.decompress(path.read_bytes()))), page_id


def test_every_legacy_european_page_decodes_to_its_snippets() -> None:
    """trafilatura's evaluation pages in ISO-8859-1/2 and Windows-125x, some declaring UTF-8:
    every snippet that must appear in the article appears in the decoded page."""
    index = json.loads((TRAFILATURA / "index.json").read_text("utf-8"))
    checked = 0
    for name, info in index.items():
        text = _SPACE.sub(
            " ", _visible(gzip.decompress((TRAFILATURA / "html" / f"{name}.gz").read_bytes()))
        )
        for snippets in info["evaldata"].values():
            for snippet in snippets.get("with", []):
                assert _SPACE.sub(" ", snippet) in text, (name, snippet)
                checked += 1
    assert checked > 200


def test_undeclared_gbk_is_not_taken_for_a_cyrillic_code_page() -> None:
    """The page statistical detection used to read as ptcp154 (Kazakh Cyrillic)."""
    path = next((CHINESE / "html").glob("6dc2d508-*.html.gz"))
    decoded = decode_html(gzip.decompress(path.read_bytes()))
    assert (decoded.encoding, decoded.basis) == ("gb18030", "detected")
    assert "太行山上" in decoded.text


def test_declared_charset_the_bytes_do_not_use() -> None:
    utf8_declared_gb2312 = '<meta charset="gb2312"><p>一带一路</p>'.encode()
    assert decode_html(utf8_declared_gb2312).text.endswith("一带一路</p>")
    cp1252_declared_utf8 = '<meta charset="utf-8"><p>Grüße aus Köln, naïve café</p>'.encode(
        "cp1252"
    )
    decoded = decode_html(cp1252_declared_utf8)
    assert "Grüße aus Köln, naïve café" in decoded.text
    assert decoded.encoding == "cp1252"


def test_server_default_latin1_header_on_a_gbk_page() -> None:
    body = "<html><body><p>共建“一带一路”倡议提出十周年。</p></body></html>".encode("gbk")
    decoded = decode_html(body, "text/html; charset=ISO-8859-1")
    assert "共建“一带一路”倡议提出十周年" in decoded.text
    assert decoded.encoding == "gb18030"


def test_latin1_prose_is_not_mistaken_for_gbk() -> None:
    # "ü" followed by a letter is a valid GBK pair; German must still decode as Windows-1252.
    body = "<p>Übergrößen für Müller: Gemüse, Frühstück, Bürgersteig.</p>".encode("cp1252")
    decoded = decode_html(body)
    assert "Übergrößen für Müller" in decoded.text
    assert decoded.encoding != "gb18030"


@pytest.mark.parametrize(
    ("label", "encoding"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("iso-8859-1", "cp1252"),
        ("windows-1251", "cp1251"),
    ],
)
def test_declared_labels_decode_with_the_browser_superset(label: str, encoding: str) -> None:
    text = {"gb18030": "丝绸之路经济带", "cp1252": "Café “quoted”", "cp1251": "Пояс и путь"}[
        encoding
    ]
    body = f'<html><head><meta charset="{label}"></head><body>{text}</body></html>'.encode(encoding)
    decoded = decode_html(body)
    assert (decoded.encoding, decoded.basis) == (encoding, "meta")
    assert text in decoded.text


def test_header_charset_wins_over_meta_when_the_bytes_agree() -> None:
    body = '<meta charset="iso-8859-1"><p>Пояс и путь</p>'.encode("koi8-r")
    decoded = decode_html(body, "text/html; charset=KOI8-R")
    assert (decoded.encoding, decoded.basis) == ("koi8-r", "header")


def test_a_title_cut_mid_character_does_not_lose_the_page() -> None:
    """Legacy pages truncate GBK titles at a byte count; one broken pair must not send the
    whole page to statistical guessing."""
    body = (
        '<meta charset="gb2312"><title>丝路</title><p>' + "中欧班列运行平稳。" * 50 + "</p>"
    ).encode("gbk")
    cut = body.replace("丝路".encode("gbk"), "丝".encode("gbk") + b"\xc2")
    decoded = decode_html(cut)
    assert decoded.encoding == "gb18030"
    assert decoded.text.count("中欧班列运行平稳") == 50


def test_gb18030_ideographic_space() -> None:
    decoded = decode_html(
        b"<p>" + "一带一路".encode("gbk") + b"\xa3\xa0" + "倡议".encode("gbk") * 20
    )
    assert "一带一路\u3000倡议" in decoded.text


@pytest.mark.parametrize(
    "body", [b"", b"\x00\x01\x02", b"<html", b"\xff\xfe\x00", b"<?xml version='1.0'?><rss/>"]
)
def test_odd_bodies_never_raise(body: bytes) -> None:
    document = parse_document(FetchedPage(url="http://example.test/", body=body))
    assert document.tree is not None
    assert isinstance(document.text, str)


def test_bom_beats_declaration() -> None:
    body = b"\xef\xbb\xbf" + '<meta charset="gbk"><p>Пояс и путь</p>'.encode()
    decoded = decode_html(body)
    assert (decoded.encoding, decoded.basis) == ("utf-8", "bom")
    assert "Пояс и путь" in decoded.text


def test_pages_declaring_a_charset_their_bytes_do_not_use() -> None:
    """Across every corpus page: a page whose bytes are UTF-8 but whose meta tag claims
    GB2312, EUC-JP or ISO-8859 (re-encoded by the saving tool) decodes as UTF-8."""
    misdeclared = 0
    for path in sorted(CORPORA.glob("**/*.html.gz")):
        body = gzip.decompress(path.read_bytes())
        _, meta = declared_encodings(body, None)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if meta and meta != "utf-8":
            misdeclared += 1
            assert decode_html(body).encoding == "utf-8", path
    assert misdeclared >= 20
