"""The rights engine against the labelled corpus pages and fragments: gate on the floors."""

from __future__ import annotations

from pathlib import Path

import pytest

from brwatch.rights.evaluation import (
    MAX_HARD_NEGATIVE_RESTRICTED,
    MIN_EXACT,
    MIN_RESTRICTION_RECALL,
    Labelled,
    Outcome,
    evaluate,
    evaluate_unseen,
    load_labels,
    load_unseen,
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


# The unseen set (tests/data/rights/unseen): real notices and pages the rules were not written
# from, split once into a dev half (tuned on) and a test half (only scored). The floors below
# guard against regressions; the targets and today's figures are in benchmarks/rights.md.
UNSEEN = LABELS / "unseen"
UNSEEN_DEV_FLOORS = {"restriction_recall": 0.98, "exact": 0.96, "macro_f1": 0.90}
UNSEEN_DEV_MAX_FALSE_RESTRICTIONS = 0.04
# With round 3 (scored first on 2026-12-07: 78.5% restrictions, 78.8% exact on its own) the
# whole test half measured 90.5% / 87.5%; with round 4 (2026-12-08: 55.6% / 69.9% on its own
# when first scored, 63.9% / 73.1% after rules from its dev half) 88.2% / 85.9%.
UNSEEN_TEST_FLOORS = {"restriction_recall": 0.88, "exact": 0.85}


@pytest.fixture(scope="module")
def unseen() -> list[Labelled]:
    return load_unseen(UNSEEN)


def test_the_unseen_set_is_large_split_once_and_sourced(unseen: list[Labelled]) -> None:
    import hashlib

    import yaml

    assert len(unseen) >= 600
    assert {item.split for item in unseen} == {"dev", "test"}
    assert sum(item.kind == "page" for item in unseen) >= 250
    assert len({item.lang.split("-")[0] for item in unseen}) >= 20
    listed = (UNSEEN / "SOURCES.md").read_text(encoding="utf-8")
    for path in UNSEEN.glob("[np]*-*.yaml"):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            parity = int(hashlib.sha256(entry["id"].encode()).hexdigest(), 16) % 2
            assert entry["split"] == ("dev" if parity == 0 else "test"), entry["id"]
            source = entry["source"]
            assert source["repo"] and len(source["commit"]) == 40 and source["licence"]
            assert f"[{source['repo']}]" in listed, f"{source['repo']} missing from SOURCES.md"
    for item in unseen:
        if item.kind == "page":
            assert (UNSEEN / item.file).exists()


@pytest.mark.slow
def test_the_unseen_dev_half_holds_its_floors(unseen: list[Labelled]) -> None:
    report = score(evaluate_unseen([i for i in unseen if i.split == "dev"], UNSEEN))
    for measure, floor in UNSEEN_DEV_FLOORS.items():
        assert report[measure] >= floor, (measure, report[measure])
    assert report["hard_negative_restricted"] <= UNSEEN_DEV_MAX_FALSE_RESTRICTIONS
    # The engine is better than the naive keyword list wherever a list can be compared.
    assert report["exact"] > report["baseline"]["exact"]
    assert report["hard_negative_restricted"] < report["baseline"]["hard_negative_restricted"]


@pytest.mark.slow
def test_the_unseen_test_half_does_not_regress(unseen: list[Labelled]) -> None:
    report = score(evaluate_unseen([i for i in unseen if i.split == "test"], UNSEEN))
    for measure, floor in UNSEEN_TEST_FLOORS.items():
        assert report[measure] >= floor, (measure, report[measure])
