"""Extraction quality and speed: brwatch vs plain trafilatura.extract, in one run.

    python benchmarks/extraction.py            # all numbers
    python benchmarks/extraction.py --misses   # also list the Chinese pages with a wrong date/title

1. Body text on article-extraction-benchmark (181 pages): token F1 and 4-gram shingle F1
   against ground-truth.json; baseline: `trafilatura.extract(html)` with default settings (it
   decodes and parses the page itself, as a user would call it).
2. Title and date on chinese-web-content-extraction (63 pages): dates against its ground truth,
   titles against tests/data/extract/chinese-titles.json (hand-checked headlines).
3. Pages per second for both (one process, one core), and "leaks": pages whose extracted text
   carries a copyright/reprint notice that the true article body does not (a site footer read
   as article text).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import trafilatura
from htmldate import find_date

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import extract_article
from brwatch.extract.body import BodySettings
from brwatch.extract.evaluation import (
    article_benchmark,
    body_score,
    chinese_corpus,
    cjk_precision_recall,
    date_agrees,
    dated_pages,
    fundus_pages,
    loosely_equal,
    notice_leaked,
    same_title,
    shingle_precision_recall,
    token_precision_recall,
)

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
TITLES = ROOT / "tests" / "data" / "extract" / "chinese-titles.json"
_WARM_UP = 10


def _brwatch(settings: BodySettings):
    def run(url: str, html: bytes) -> str:
        return extract_article(parse_document(FetchedPage(url=url, body=html)), settings).text

    return run


def _baseline(url: str, html: bytes) -> str:
    return trafilatura.extract(html, url=url) or ""


def body_benchmark(variants: dict) -> None:
    pages = list(article_benchmark(CORPORA / "article-extraction-benchmark"))
    print(f"article-extraction-benchmark: {len(pages)} pages")
    header = ("token P", "token R", "token F1", "4gram F1", "pages/s", "leaks")
    print(f"{'extractor':<34}" + "".join(f"{column:>10}" for column in header))
    for name, extractor in variants.items():
        for page in pages[:_WARM_UP]:  # one-time costs (imports, regex and locale tables) aside
            extractor(page.url, page.html)
        started = time.process_time()
        outputs = [extractor(page.url, page.html) for page in pages]
        rate = len(pages) / (time.process_time() - started)
        pairs = [(out, page.body) for out, page in zip(outputs, pages, strict=True)]
        token = body_score(pairs, token_precision_recall)
        shingle = body_score(pairs, shingle_precision_recall)
        numbers = (token.precision, token.recall, token.f1, shingle.f1)
        leaks = sum(notice_leaked(out, truth) for out, truth in pairs)
        print(f"{name:<34}" + "".join(f"{n:10.4f}" for n in numbers) + f"{rate:10.1f}{leaks:10}")


def chinese_body(variants: dict) -> None:
    pages = list(chinese_corpus(CORPORA / "chinese-web-content-extraction"))
    print(f"chinese-web-content-extraction body text: {len(pages)} pages (character F1)")
    header = ("char P", "char R", "char F1", "pages/s", "leaks")
    print(f"{'extractor':<34}" + "".join(f"{column:>10}" for column in header))
    for name, extractor in variants.items():
        started = time.process_time()
        pairs = [(extractor("", page.html), page.body) for page in pages]
        rate = len(pages) / (time.process_time() - started)
        score = body_score(pairs, cjk_precision_recall)
        numbers = (score.precision, score.recall, score.f1)
        leaks = sum(notice_leaked(out, truth) for out, truth in pairs)
        print(f"{name:<34}" + "".join(f"{n:10.4f}" for n in numbers) + f"{rate:10.1f}{leaks:10}")


def chinese_benchmark(show_misses: bool) -> None:
    titles = json.loads(TITLES.read_text(encoding="utf-8"))["titles"]
    pages = list(chinese_corpus(CORPORA / "chinese-web-content-extraction", titles))
    dates = titles_right = dated = titled = 0
    started = time.process_time()
    for page in pages:
        article = extract_article(parse_document(FetchedPage(url="", body=page.html)))
        agrees = date_agrees(page.date, article.published)
        if agrees is not None:
            dated += 1
            dates += agrees
            if not agrees and show_misses:
                got = f"{article.published} ({article.date_source})"
                print(f"  date  {page.id} want {page.date!r} got {got}")
        if page.titles:
            titled += 1
            right = same_title(page.titles, article.title)
            titles_right += right
            if not right and show_misses:
                print(f"  title {page.id} want {page.titles[0]!r} got {article.title!r}")
    rate = len(pages) / (time.process_time() - started)
    print(f"chinese-web-content-extraction: {len(pages)} pages, {rate:.1f} pages/s")
    print(f"  date right:  {dates}/{dated} = {dates / dated:.3f} (pages whose truth has a date)")
    print(f"  title right: {titles_right}/{titled} = {titles_right / titled:.3f}")


def date_benchmark() -> None:
    pages = list(dated_pages(CORPORA / "htmldate-mediacloud-2020"))
    ours = theirs = 0
    for page in pages:
        article = extract_article(parse_document(FetchedPage(url=page.url, body=page.html)))
        ours += bool(date_agrees(page.date, article.published))
        found = find_date(page.html, url=page.url, original_date=True, extensive_search=True)
        theirs += bool(date_agrees(page.date, datetime.fromisoformat(found) if found else None))
    print(f"htmldate-mediacloud-2020: {len(pages)} pages with a true date, day right:")
    print(f"  htmldate.find_date (original_date): {theirs / len(pages):.3f}")
    print(f"  brwatch extract_article:            {ours / len(pages):.3f}")


def fundus_benchmark() -> None:
    pages = list(fundus_pages(CORPORA / "fundus-parser-test-data"))
    titles = dates = dated = authors = authored = 0
    for page in pages:
        article = extract_article(parse_document(FetchedPage(url=page.url, body=page.html)))
        titles += loosely_equal(page.title, article.title)
        if page.published:
            dated += 1
            dates += bool(article.published) and article.published.date() == page.published.date()
        if page.authors:
            authored += 1
            want = sorted(map(str.casefold, page.authors))
            authors += want == sorted(map(str.casefold, article.authors))
    print(f"fundus-parser-test-data: {len(pages)} pages of 181 publishers in 41 countries")
    print(f"  title equal to fundus' (the shown headline): {titles / len(pages):.3f}")
    print(f"  date (day) right: {dates / dated:.3f} of {dated}")
    print(f"  authors exactly right: {authors / authored:.3f} of {authored}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list wrong Chinese dates/titles")
    parser.add_argument("--variants", action="store_true", help="also time trafilatura options")
    args = parser.parse_args()
    variants = {
        "trafilatura.extract (defaults)": _baseline,
        "brwatch extract_article": _brwatch(BodySettings()),
    }
    if args.variants:
        variants |= {
            "brwatch, fast + favor_recall": _brwatch(BodySettings(favor_recall=True)),
            "brwatch, fast + favor_precision": _brwatch(BodySettings(favor_precision=True)),
            "brwatch, favor_precision": _brwatch(BodySettings(fast=False, favor_precision=True)),
            "brwatch, favor_recall": _brwatch(BodySettings(fast=False, favor_recall=True)),
            "brwatch, trafilatura defaults": _brwatch(BodySettings(fast=False)),
        }
    body_benchmark(variants)
    chinese_body(variants)
    chinese_benchmark(args.misses)
    date_benchmark()
    fundus_benchmark()
    return 0


if __name__ == "__main__":
    sys.exit(main())
