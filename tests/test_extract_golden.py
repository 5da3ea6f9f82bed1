"""Golden pages: real articles in several languages and encodings, with their expected fields.

Each tests/data/extract/golden/*.json names a page of the shared corpora, the URL it was
fetched from, the encoding it must decode with, the metadata extract_article must return
(checked against the publishers' own markup and fundus' expected output) and text markers.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import extract_article
from tests.conftest import CORPORA

GOLDEN = sorted((Path(__file__).parent / "data" / "extract" / "golden").glob("*.json"))


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda path: path.stem)
def test_golden_page(golden: Path) -> None:
    spec = json.loads(golden.read_text(encoding="utf-8"))
    body = gzip.decompress((CORPORA / spec["corpus_file"]).read_bytes())
    document = parse_document(FetchedPage(url=spec["url"], body=body))
    assert document.encoding == spec["encoding"]

    article = extract_article(document)
    got = article.to_dict()
    for field, expected in spec["expected"].items():
        assert got[field] == expected, field
    marks = spec["text"]
    assert _squash(article.text).startswith(_squash(marks["starts_with"]))
    for snippet in marks["contains"]:
        assert _squash(snippet) in _squash(article.text)
    assert marks["min_chars"] <= len(article.text) <= marks["max_chars"]


def test_golden_set_covers_the_languages_we_crawl() -> None:
    languages = {
        json.loads(path.read_text(encoding="utf-8"))["expected"]["lang"] for path in GOLDEN
    }
    assert {"zh", "ru", "ar", "es", "en"} <= languages
