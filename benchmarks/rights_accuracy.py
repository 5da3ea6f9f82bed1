"""Rights engine accuracy, beside a naive keyword list, on every labelled set.

    python benchmarks/rights_accuracy.py [--only dev|test|old] [--misses]

Prints, as Markdown: the unseen set's dev half and test half (real notices and pages the rules
were not written from; tests/data/rights/unseen/README.md), each whole and then by round
(rounds 1–2, which issue 11 first scored, then rounds 3 and 4, each gathered after the one
before had been scored), then the development
set the rules were written against (its held-out pages, then all of it). For each: the
issue's headline measures for brwatch and the baseline, precision/recall per status and per
language. The test half is for scoring a finished change, never for tuning rules against.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brwatch.rights import ruleset_version
from brwatch.rights.evaluation import (
    evaluate,
    evaluate_unseen,
    load_labels,
    load_unseen,
    report_markdown,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "rights"
UNSEEN = LABELS / "unseen"
CORPORA = ROOT.parent / "shared" / "corpora"
# The later rounds of the unseen set by their notice files' id prefixes; every other item is of
# rounds 1–2 (tests/data/rights/unseen/README.md).
LATER_ROUNDS = {"round 3": ("nz-", "nl-", "nk-"), "round 4": ("n4c-", "n4l-", "n4w-")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("dev", "test", "old"), help="one set only")
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    print(f"ruleset {ruleset_version()}\n")
    sections = []
    unseen = load_unseen(UNSEEN)
    for split in ("dev", "test"):
        if args.only in (None, split):
            chosen = evaluate_unseen([item for item in unseen if item.split == split], UNSEEN)
            later = tuple(prefix for prefixes in LATER_ROUNDS.values() for prefix in prefixes)
            earlier = [o for o in chosen if not o.item.file.startswith(later)]
            sections.append((f"Unseen set, {split} half", chosen))
            sections.append((f"Unseen set, {split} half, rounds 1–2", earlier))
            for name, prefixes in LATER_ROUNDS.items():
                rounded = [o for o in chosen if o.item.file.startswith(prefixes)]
                if rounded:
                    sections.append((f"Unseen set, {split} half, {name}", rounded))
    if args.only in (None, "old"):
        old = {path.stem: load_labels(path) for path in sorted(LABELS.glob("*.yaml"))}
        outcomes = {name: evaluate(items, CORPORA) for name, items in old.items()}
        sections.append(("Development set: held-out pages", outcomes["pages-heldout"]))
        sections.append(
            ("Development set: all items", [o for group in outcomes.values() for o in group])
        )
    for title, chosen in sections:
        misses = []
        if args.misses:
            misses = [
                o
                for o in chosen
                if o.predicted != o.item.status
                or (o.item.license and o.license != o.item.license)
                or (o.item.requires_link and not o.requires_link)
            ]
        print(f"### {title}\n")
        print(report_markdown(score(chosen), misses))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
