"""Reprint detection on real article texts from the shared corpora: no false pairs among
hundreds of distinct articles in many languages, and edited copies of real Chinese and English
stories are found."""

from __future__ import annotations

import json
import re

import pytest

from brwatch.provenance import ReprintIndex, signature
from tests.conftest import CORPORA


def _corpus() -> dict[int, tuple[str, str]]:
    """number -> (url, text) for every article body with ground truth."""
    truth = json.loads((CORPORA / "article-extraction-benchmark" / "ground-truth.json").read_text())
    base = json.loads((CORPORA / "magic-html-article-benchmark" / "base.json").read_text())
    bodies = [(v["url"], v["articleBody"]) for v in truth.values()]
    bodies += [(v["url"], v["content"]) for v in base.values()]
    return dict(enumerate(bodies))


@pytest.fixture(scope="module")
def indexed() -> tuple[dict[int, tuple[str, str]], ReprintIndex]:
    articles = _corpus()
    index = ReprintIndex()
    for key, (_url, text) in articles.items():
        minhash = signature(text)
        if minhash is not None:
            index.add(key, minhash)
    return articles, index


def test_distinct_articles_are_never_paired(indexed) -> None:
    articles, index = indexed
    assert len(index) > 300
    pairs = set()
    for key in articles:
        minhash = index.get(key)
        if minhash is None:
            continue
        for other, _score in index.similar(minhash, exclude=key):
            pairs.add(frozenset((articles[key][0], articles[other][0])))
    # The one pair is a real duplicate: the same Spiegel story saved under two URLs.
    assert len(pairs) == 1
    (pair,) = pairs
    assert all("spiegel.de/panorama/" in url and url.endswith("568e6829693b") for url in pair)


def _edit_chinese(text: str) -> str:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    edited = paragraphs[:-1]  # the reprint drops the last paragraph
    edited[0] = "（转载）" + edited[0].replace("记者", "本报记者", 1)
    return "\n".join(edited) + "\n（责任编辑：王五）"


def _edit_english(text: str) -> str:
    words = text.split()
    words = [w.replace("said", "says") for w in words]
    return "UPDATED: " + " ".join(words[: int(len(words) * 0.9)]) + " (Editing by Jane Doe)"


@pytest.mark.parametrize(
    ("pick", "edit"),
    [
        (lambda url, text: "people.com.cn" in url, _edit_chinese),
        (lambda url, text: len(re.findall(r"[\u4e00-\u9fff]", text)) > 800, _edit_chinese),
        (lambda url, text: text.isascii() and len(text.split()) > 400, _edit_english),
    ],
    ids=["people-daily", "chinese", "english"],
)
def test_edited_copies_of_real_stories_are_found(indexed, pick, edit) -> None:
    articles, index = indexed
    key = next(k for k, (url, text) in articles.items() if pick(url, text) and index.get(k))
    copy = signature(edit(articles[key][1]))
    assert copy is not None
    found = [other for other, _ in index.similar(copy)]
    assert found == [key]
