"""Scoring extraction against the ground truth of the shared corpora.

Used by benchmarks/extraction.py (numbers) and tests/test_extract_quality.py (floors), so both
measure the same thing. Nothing here runs in the crawl.

Body text is scored like the Scrapinghub article-extraction benchmark: per page, precision and
recall of the extracted text against `articleBody`, averaged over pages, and F1 from the averaged
precision and recall. Two units are reported: word tokens (bag of tokens, the issue's "token F1")
and 4-token shingles (upstream's default).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_TOKEN = re.compile(r"\w+")
_SITE_NOTICE = re.compile(
    r"版权所有|不得转载|禁止转载|未经授权|未经许可|all rights reserved|copyright|©", re.IGNORECASE
)
_GT_DATE = re.compile(r"^\s*((?:19|20)\d\d)(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:\s|$)")


def notice_leaked(predicted: str, expected: str) -> bool:
    """Whether the extracted text carries a copyright/reprint notice the true body does not
    (a site footer taken for article text, which the rights engine would read as the
    article's own terms)."""

    def notices(text: str) -> set[str]:
        return {match.group().casefold() for match in _SITE_NOTICE.finditer(text)}

    return bool(notices(predicted) - notices(expected))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


_CJK_OR_WORD = re.compile(
    r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]|[^\W\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]+"
)


def cjk_precision_recall(predicted: str, expected: str) -> tuple[float, float]:
    """Bag-of-tokens precision and recall where each Chinese/Japanese/Korean character is a
    token (those scripts do not separate words with spaces)."""
    got = Counter(_CJK_OR_WORD.findall(predicted.casefold()))
    want = Counter(_CJK_OR_WORD.findall(expected.casefold()))
    return _prf(sum((got & want).values()), sum(got.values()), sum(want.values()))


def _prf(overlap: int, predicted: int, expected: int) -> tuple[float, float]:
    if predicted == 0 and expected == 0:
        return 1.0, 1.0
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / expected if expected else 0.0
    return precision, recall


def token_precision_recall(predicted: str, expected: str) -> tuple[float, float]:
    """Bag-of-tokens precision and recall (each token counted as often as it occurs)."""
    got, want = Counter(tokens(predicted)), Counter(tokens(expected))
    return _prf(sum((got & want).values()), sum(got.values()), sum(want.values()))


def shingle_precision_recall(predicted: str, expected: str, size: int = 4) -> tuple[float, float]:
    """Precision and recall over the sets of `size`-token shingles (upstream's measure)."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = tokens(text)
        return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))} - {()}

    got, want = shingles(predicted), shingles(expected)
    return _prf(len(got & want), len(got), len(want))


@dataclass(slots=True)
class BodyScore:
    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def body_score(
    pairs: list[tuple[str, str]],
    measure: Callable[[str, str], tuple[float, float]] = token_precision_recall,
) -> BodyScore:
    """Average precision and recall over (predicted, expected) pairs."""
    scores = [measure(predicted, expected) for predicted, expected in pairs]
    count = len(scores) or 1
    return BodyScore(
        sum(p for p, _ in scores) / count, sum(r for _, r in scores) / count, len(scores)
    )


@dataclass(frozen=True, slots=True)
class BenchmarkPage:
    id: str
    url: str
    html: bytes
    body: str


def article_benchmark(root: Path) -> Iterator[BenchmarkPage]:
    """Pages of article-extraction-benchmark with their ground-truth article bodies."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        yield BenchmarkPage(page_id, entry["url"], html, entry["articleBody"])


@dataclass(frozen=True, slots=True)
class ChinesePage:
    id: str
    html: bytes
    body: str
    date: str  # ground truth as given: "YYYY-MM-DD HH-MM-SS" with fields missing, or UNKNOWN
    # Hand-checked acceptable headlines (tests/data/extract/chinese-titles.json); empty if unknown.
    titles: tuple[str, ...]


def chinese_corpus(root: Path, titles: dict[str, list[str]] | None = None) -> Iterator[ChinesePage]:
    """Pages of chinese-web-content-extraction with main text, date and (given) titles."""
    truth = root / "ground-truth"
    for path in sorted((root / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        yield ChinesePage(
            page_id,
            gzip.decompress(path.read_bytes()),
            (truth / "cleaned" / f"{page_id}.txt").read_text(encoding="utf-8"),
            (truth / "date" / f"{page_id}.txt").read_text(encoding="utf-8").strip(),
            tuple((titles or {}).get(page_id, ())),
        )


def date_agrees(expected: str, found: datetime | None) -> bool | None:
    """Whether `found` agrees with a ground-truth date on every field the truth gives
    (year, month, day; the time is not compared). None when the truth has no date."""
    match = _GT_DATE.match(expected)
    if not match:
        return None
    if found is None:
        return False
    wanted = [int(part) for part in match.groups() if part]
    return [found.year, found.month, found.day][: len(wanted)] == wanted


def same_title(accepted: tuple[str, ...], found: str | None) -> bool:
    """A title is right when it equals one of the accepted ones, ignoring whitespace and case."""

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text).casefold()

    if not found:
        return False
    return squash(found) in {squash(title) for title in accepted}


@dataclass(frozen=True, slots=True)
class DatedPage:
    url: str
    html: bytes
    date: str  # YYYY-MM-DD


def dated_pages(root: Path) -> Iterator[DatedPage]:
    """htmldate-mediacloud-2020 pages that have a true publication date."""
    truth = json.loads((root / "eval_mediacloud_2020.json").read_text(encoding="utf-8"))
    for url, entry in sorted(truth.items()):
        date = entry.get("date")
        if not isinstance(date, str) or not _GT_DATE.match(date):
            continue
        html = gzip.decompress((root / "html" / f"{entry['file']}.gz").read_bytes())
        yield DatedPage(url, html, date)


@dataclass(frozen=True, slots=True)
class FundusPage:
    name: str
    url: str
    html: bytes
    title: str | None
    published: datetime | None
    authors: tuple[str, ...]


def fundus_pages(root: Path) -> Iterator[FundusPage]:
    """fundus-parser-test-data pages with the publisher parser's expected title, date and
    authors. A publisher's JSON holds one entry per page version (V1, V2, …) in date order."""
    for country in sorted(path for path in root.iterdir() if path.is_dir()):
        crawled = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for expected_file in sorted(country.glob("*.json")):
            expected = json.loads(expected_file.read_text(encoding="utf-8"))
            versions = [value for _, value in sorted(expected.items()) if isinstance(value, dict)]
            pages = sorted(country.glob(f"{expected_file.stem}_*.html.gz"))
            if len(versions) != len(pages):
                continue
            for path, version in zip(pages, versions, strict=True):
                date = version.get("publishing_date")
                yield FundusPage(
                    path.name,
                    crawled.get(path.name, {}).get("url", ""),
                    gzip.decompress(path.read_bytes()),
                    version.get("title"),
                    datetime.fromisoformat(date) if date else None,
                    tuple(version.get("authors") or ()),
                )


def loosely_equal(first: str | None, second: str | None) -> bool:
    """Equal ignoring case, spaces and punctuation."""

    def squash(text: str | None) -> str:
        return re.sub(r"[\W_]+", "", text or "").casefold()

    return bool(first) and squash(first) == squash(second)
