"""The accuracy floors of issue 2, measured on the shared corpora (numbers, not speed).

- body text: token F1 >= 0.958 on article-extraction-benchmark (trafilatura's published score),
  and not below plain trafilatura.extract on the same pages;
- Chinese corpus: publication date right on >= 90% of the pages whose ground truth has one,
  headline right on >= 90% (hand-checked headlines in tests/data/extract/chinese-titles.json).
benchmarks/extraction.py prints the same numbers with timings.
"""

from __future__ import annotations

import json
from pathlib import Path

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import extract_article
from brwatch.extract.evaluation import (
    article_benchmark,
    body_score,
    chinese_corpus,
    date_agrees,
    same_title,
    token_precision_recall,
)
from tests.conftest import CORPORA

TITLES = Path(__file__).parent / "data" / "extract" / "chinese-titles.json"


def test_body_text_token_f1_on_the_article_extraction_benchmark() -> None:
    pages = list(article_benchmark(CORPORA / "article-extraction-benchmark"))
    assert len(pages) == 181
    pairs = [
        (extract_article(parse_document(FetchedPage(url=page.url, body=page.html))).text, page.body)
        for page in pages
    ]
    score = body_score(pairs, token_precision_recall)
    assert score.f1 >= 0.958, score


def test_title_and_date_on_the_chinese_corpus() -> None:
    titles = json.loads(TITLES.read_text(encoding="utf-8"))["titles"]
    pages = list(chinese_corpus(CORPORA / "chinese-web-content-extraction", titles))
    assert len(pages) == 63 and all(page.titles for page in pages)
    dates_right = dated = titles_right = 0
    for page in pages:
        article = extract_article(parse_document(FetchedPage(url="", body=page.html)))
        titles_right += same_title(page.titles, article.title)
        agrees = date_agrees(page.date, article.published)
        if agrees is not None:
            dated += 1
            dates_right += agrees
    assert dated >= 45
    assert titles_right / len(pages) >= 0.9, titles_right
    assert dates_right / dated >= 0.9, (dates_right, dated)


def test_scoring_helpers() -> None:
    assert token_precision_recall("a b c", "a b c") == (1.0, 1.0)
    assert token_precision_recall("a b", "a b c d") == (1.0, 0.5)
    assert token_precision_recall("", "a") == (0.0, 0.0)
    assert date_agrees("2005-3-11 12:12", None) is False
    assert date_agrees("UNKNOWN", None) is None
    assert same_title(("一带一路 论坛",), " 一带一路论坛")
