"""Accuracy of the rights engine on the labelled corpus pages and fragments.

Labels live in ``tests/data/rights/``: ``pages.yaml`` (whole corpus pages) and
``fragments.yaml`` (real markup cut from corpus pages, mostly hard negatives: photo credits,
cookie banners, scripts, stories about copyright). The test suite gates on the floors below;
``benchmarks/rights_accuracy.py`` prints the full report.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from brwatch.document import parse_document
from brwatch.rights.engine import verdict_for
from brwatch.rights.model import STATUSES
from brwatch.rights.reader import LxmlPageReader

RESTRICTED = frozenset({"prohibited", "permission_required"})
# Floors the suite enforces (issue targets).
MIN_RESTRICTION_RECALL = 0.98
MAX_HARD_NEGATIVE_RESTRICTED = 0.03
MIN_EXACT = 0.92


@dataclass(frozen=True, slots=True)
class Labelled:
    file: str
    lang: str
    status: str
    note: str = ""
    hard_negative: bool = False
    # For fragments: the markup cut from the page; evaluated alone as a small page.
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Labelled
    predicted: str


def load_labels(path: Path) -> list[Labelled]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    labelled = [Labelled(**item) for item in items]
    bad = [item.file for item in labelled if item.status not in STATUSES]
    if bad:
        raise ValueError(f"{path}: unknown status for {bad}")
    return labelled


def document_for(item: Labelled, corpora: Path) -> Any:
    if item.html is not None:
        return parse_document(f"<html><body>{item.html}</body></html>", "")
    return parse_document(gzip.decompress((corpora / item.file).read_bytes()), "")


def evaluate(items: Iterable[Labelled], corpora: Path) -> list[Outcome]:
    """Verdicts as the crawler gets them: read from the lxml tree it parses for extraction
    (tests/test_rights_backends.py holds the lexbor reader of raw HTML to the same verdicts)."""
    outcomes: list[Outcome] = []
    for item in items:
        doc = document_for(item, corpora)
        outcomes.append(Outcome(item, verdict_for(doc, reader=LxmlPageReader(doc)).status))
    return outcomes


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score(outcomes: list[Outcome]) -> dict[str, Any]:
    """Headline rates, and precision/recall per status and per language."""
    restricted = [o for o in outcomes if o.item.status in RESTRICTED]
    hard = [o for o in outcomes if o.item.hard_negative]
    report: dict[str, Any] = {
        "items": len(outcomes),
        "hard_negatives": len(hard),
        "exact": _ratio(sum(o.predicted == o.item.status for o in outcomes), len(outcomes)),
        "restriction_recall": _ratio(
            sum(o.predicted in RESTRICTED for o in restricted), len(restricted)
        ),
        "hard_negative_restricted": _ratio(sum(o.predicted in RESTRICTED for o in hard), len(hard)),
        "by_status": {},
        "by_language": {},
    }
    for status in STATUSES:
        expected = sum(o.item.status == status for o in outcomes)
        predicted = sum(o.predicted == status for o in outcomes)
        correct = sum(o.item.status == status == o.predicted for o in outcomes)
        if expected or predicted:
            report["by_status"][status] = {
                "expected": expected,
                "predicted": predicted,
                "precision": _ratio(correct, predicted),
                "recall": _ratio(correct, expected),
            }
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_lang[outcome.item.lang].append(outcome)
    for lang, group in sorted(by_lang.items()):
        flagged = [o for o in group if o.item.status in RESTRICTED]
        predicted_restricted = [o for o in group if o.predicted in RESTRICTED]
        report["by_language"][lang] = {
            "items": len(group),
            "exact": _ratio(sum(o.predicted == o.item.status for o in group), len(group)),
            "restriction_precision": _ratio(
                sum(o.item.status in RESTRICTED for o in predicted_restricted),
                len(predicted_restricted),
            ),
            "restriction_recall": _ratio(
                sum(o.predicted in RESTRICTED for o in flagged), len(flagged)
            ),
        }
    return report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report_markdown(report: dict[str, Any], misses: list[Outcome]) -> str:
    lines = [
        f"Labelled items: {report['items']} ({report['hard_negatives']} hard negatives)",
        "",
        _row("measure", "value", "target"),
        _row("---", "---", "---"),
        _row("restrictions found (prohibited + permission_required recalled)",
             _pct(report["restriction_recall"]), "≥ 98%"),
        _row("hard negatives wrongly restricted", _pct(report["hard_negative_restricted"]), "≤ 3%"),
        _row("exact status", _pct(report["exact"]), "≥ 92%"),
        "",
        _row("status", "labelled", "predicted", "precision", "recall"),
        _row("---", "---", "---", "---", "---"),
    ]  # fmt: skip
    for status, row in report["by_status"].items():
        lines.append(
            _row(
                status,
                row["expected"],
                row["predicted"],
                _pct(row["precision"]),
                _pct(row["recall"]),
            )
        )
    lines += [
        "",
        _row("language", "items", "exact", "restriction precision", "restriction recall"),
        _row("---", "---", "---", "---", "---"),
    ]
    for lang, row in report["by_language"].items():
        lines.append(
            _row(lang, row["items"], _pct(row["exact"]), _pct(row["restriction_precision"]),
                 _pct(row["restriction_recall"]))
        )  # fmt: skip
    if misses:
        lines += ["", "Disagreements (labelled -> predicted):", ""]
        lines += [
            f"- `{m.item.file}` {m.item.status} -> {m.predicted}: {m.item.note}" for m in misses
        ]
    return "\n".join(lines)
