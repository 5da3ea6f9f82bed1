"""Rights engine accuracy on the labelled corpus pages and fragments in tests/data/rights/.

    python benchmarks/rights_accuracy.py [--misses]

Prints, as Markdown, the headline rates against the issue's targets and precision/recall per
status and per language: for the held-out pages alone, then for every labelled item.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brwatch.rights import ruleset_version
from brwatch.rights.evaluation import evaluate, load_labels, report_markdown, score

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "rights"
CORPORA = ROOT.parent / "shared" / "corpora"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    sets = {path.stem: load_labels(path) for path in sorted(LABELS.glob("*.yaml"))}
    outcomes = {name: evaluate(items, CORPORA) for name, items in sets.items()}
    print(f"ruleset {ruleset_version()}\n")
    for title, chosen in (
        ("Held-out pages (labelled blind)", outcomes["pages-heldout"]),
        ("All labelled items", [o for group in outcomes.values() for o in group]),
    ):
        misses = [o for o in chosen if o.predicted != o.item.status] if args.misses else []
        print(f"### {title}\n")
        print(report_markdown(score(chosen), misses))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
