"""Rights engine speed over every page in ../shared/corpora, against lxml parsing alone.

    python benchmarks/rights.py [--limit N]

Per page, interleaved so all three share the same cache and machine load:
  1. lxml alone: lxml.html.document_fromstring(raw bytes) — the baseline;
  2. brwatch.document: decode + parse (what the crawler pipeline does once per page);
  3. verdict_for(doc) on that already-parsed Document.
"From raw HTML" is 2 + 3. Prints pages/s per core for each, the time 3 adds to lxml's parse
(target: at most 10%) and the raw-HTML rate as a share of lxml's (target: at least 50%).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import sys
import time
from pathlib import Path

import lxml.html

from brwatch.document import parse_document
from brwatch.rights import verdict_for
from brwatch.rights.rules import default_ruleset

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N pages")
    args = parser.parse_args()
    paths = sorted(CORPORA.glob("**/*.html.gz"))[: args.limit]
    if not paths:
        print(f"no pages under {CORPORA}", file=sys.stderr)
        return 2
    pages = [gzip.decompress(path.read_bytes()) for path in paths]
    default_ruleset()  # rules are loaded and compiled once per process, not per page
    lxml_time = document_time = rights_time = 0.0
    statuses: dict[str, int] = {}
    gc.disable()
    for raw in pages:
        start = time.perf_counter()
        lxml.html.document_fromstring(raw)
        parsed = time.perf_counter()
        doc = parse_document(raw, "")
        doc.tree  # noqa: B018 - the parse the crawler pays for once
        documented = time.perf_counter()
        verdict = verdict_for(doc)
        judged = time.perf_counter()
        lxml_time += parsed - start
        document_time += documented - parsed
        rights_time += judged - documented
        statuses[verdict.status] = statuses.get(verdict.status, 0) + 1
        gc.collect(0)
    gc.enable()
    n = len(pages)
    megabytes = sum(map(len, pages)) / 1e6
    print(f"{n} pages, {megabytes:.0f} MB of HTML, one core")
    print(f"lxml parse only (baseline):          {n / lxml_time:7.0f} pages/s")
    print(f"document decode + parse:             {n / document_time:7.0f} pages/s")
    print(f"rights verdict from raw HTML:        {n / (document_time + rights_time):7.0f} pages/s")
    print(f"rights verdict on a parsed Document: {n / rights_time:7.0f} pages/s")
    print(
        "added by rights over lxml parse:     "
        f"{100 * rights_time / lxml_time:6.1f}%  (target <= 10%)"
    )
    print(f"added by rights over document parse: {100 * rights_time / document_time:6.1f}%")
    raw_share = lxml_time / (document_time + rights_time)
    print(f"from raw HTML, share of lxml's rate: {100 * raw_share:6.1f}%  (target >= 50%)")
    print("statuses:", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
