"""The rights engine against the labelled corpus pages and fragments: gate on the floors."""

from __future__ import annotations

from pathlib import Path

import pytest

from brwatch.rights.evaluation import (
    MAX_HARD_NEGATIVE_RESTRICTED,
    MIN_EXACT,
    MIN_RESTRICTION_RECALL,
    Outcome,
    evaluate,
    load_labels,
    score,
)
from tests.conftest import CORPORA

LABELS = Path(__file__).parent / "data" / "rights"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    items = [item for f in sorted(LABELS.glob("*.yaml")) for item in load_labels(f)]
    return evaluate(items, CORPORA)


def test_labelled_set_is_large_enough() -> None:
    items = [item for f in sorted(LABELS.glob("*.yaml")) for item in load_labels(f)]
    assert len(items) >= 300
    assert sum(item.hard_negative for item in items) >= 80
    assert len({item.file for item in items if item.html is None}) >= 300
    assert all((CORPORA / item.file).exists() for item in items)


def test_accuracy_floors(outcomes: list[Outcome]) -> None:
    report = score(outcomes)
    assert report["restriction_recall"] >= MIN_RESTRICTION_RECALL, report
    assert report["hard_negative_restricted"] <= MAX_HARD_NEGATIVE_RESTRICTED, report
    assert report["exact"] >= MIN_EXACT, report


def test_held_out_pages_meet_the_floors_too(outcomes: list[Outcome]) -> None:
    held_out = {item.file for item in load_labels(LABELS / "pages-heldout.yaml")}
    report = score([o for o in outcomes if o.item.file in held_out and o.item.html is None])
    assert report["restriction_recall"] >= MIN_RESTRICTION_RECALL, report
    assert report["exact"] >= MIN_EXACT, report
