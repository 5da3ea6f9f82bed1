"""Rights engine speed over every page in ../shared/corpora, against lxml parsing alone.

    python benchmarks/rights.py [--limit N]

Per page, interleaved so all share the same cache and machine load:
  1. lxml alone: lxml.html.document_fromstring(raw bytes) — the baseline;
  2. brwatch.document: decode + lxml parse (what the crawler pipeline does once per page);
  3. verdict_for(doc) on that already-parsed Document, read from its lxml tree (the crawler);
  4. the same verdict on the same Document read by a lexbor parse of its markup instead;
  5. from raw HTML: decode + verdict_for on a Document nobody has parsed (lexbor reader: what
     library calls with bytes and `brwatch recheck` pay);
  and, for scale, lexbor's parse alone. Before that loop, in loops of their own:
  6. the crawler's own work on each page: brwatch.pipeline's process_page (decode, lxml parse,
     extraction, relevance, fingerprint, verdict, snapshot), with the verdict inside it timed
     apart. Alone, because a verdict run just before on the same page (1-5) leaves its text
     and automaton states in the CPU caches and flatters the verdict by about a point. Two
     passes over the corpus: the first builds RE2's automaton states as pages need them (a
     fresh worker), the second finds them built (a worker in a long crawl).
Prints pages/s per core for each; the time the verdict adds to the crawler's per-page work
(6: target at most 10%) and, the strictest reading of that target, to lxml's parse alone
(3 and 4); the raw-HTML rate as a share of lxml's (target: at least 50%); CPU seconds of the
process; and whether both readers gave the same verdicts.

    python benchmarks/rights.py --steps [--limit N]

runs only step 6 and prints where the verdict's time goes inside it, step by step.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
from selectolax.lexbor import LexborHTMLParser

from brwatch.document import FetchedPage, parse_document
from brwatch.pipeline import process
from brwatch.pipeline.stages import stages
from brwatch.rights import engine, verdict_for
from brwatch.rights.page import PageText
from brwatch.rights.reader import LexborPageReader, LxmlPageReader
from brwatch.rights.rules import default_ruleset

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
_FIELDS = ("status", "license", "requires_link", "credit", "origin")
STEPS = ("lxml", "lexbor", "document", "verdict_lxml", "verdict_lexbor", "raw")
CRAWLER_PASSES = ("first pass, a fresh worker", "second pass, a warm worker")


def timed(
    name: str, function: Callable[..., object], spent: dict[str, float]
) -> Callable[..., object]:
    """``function``, adding the seconds each call takes to ``spent[name]``."""

    def run(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    return run


def time_crawler_verdict(spent: dict[str, float], first_page: bytes) -> None:
    """From now on process_page times its verdict stage into ``spent["verdict"]``: the
    crawler's rights verdict as it really runs (after extraction, on the tree extraction
    parsed, with the extracted article). One page warms every stage first."""
    extract, score, judge = stages()
    timed_stages = (extract, score, timed("verdict", judge, spent))  # type: ignore[arg-type]
    process.stages = lambda: timed_stages  # type: ignore[assignment]
    process.process_page(FetchedPage("http://bench.example/", first_page))
    spent.clear()


# The verdict's steps, as the engine calls them: (module, attribute) wrapped by --steps.
VERDICT_STEPS = (
    (engine, "markup_hints"),
    (engine, "meta_signals"),
    (engine, "link_signals"),
    (engine, "structured_signals"),
    (engine, "find_notices"),
    (engine, "scope_of"),
    (engine, "resolve"),
    (LxmlPageReader, "head_metas"),
    (LxmlPageReader, "license_links"),
    (LxmlPageReader, "jsonld_scripts"),
    (LxmlPageReader, "page_text"),
    (PageText, "nodes_at"),
)


def crawler_pass(pages: list[bytes]) -> tuple[float, float]:
    """(seconds in the verdict, seconds in the rest) of process_page over every page."""
    spent: dict[str, float] = {}
    time_crawler_verdict(spent, pages[0])
    gc.disable()
    start = time.perf_counter()
    for index, raw in enumerate(pages):
        process.process_page(FetchedPage(f"http://bench.example/{index}", raw))
        gc.collect(0)
    total = time.perf_counter() - start
    gc.enable()
    return spent["verdict"], total - spent["verdict"]


def verdict_steps(pages: list[bytes]) -> None:
    """CPU ms per page of each step of the verdict inside process_page (timers included)."""
    spent: dict[str, float] = {}
    for owner, name in VERDICT_STEPS:
        setattr(owner, name, timed(name, getattr(owner, name), spent))
    time_crawler_verdict(spent, pages[0])
    for index, raw in enumerate(pages):
        process.process_page(FetchedPage(f"http://bench.example/{index}", raw))
    verdict = spent.pop("verdict")
    print(f"verdict inside process_page: {verdict / len(pages) * 1000:.3f} ms/page; steps:")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {seconds / len(pages) * 1000:6.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--steps", action="store_true", help="time the verdict's steps only")
    args = parser.parse_args()
    paths = sorted(CORPORA.glob("**/*.html.gz"))[: args.limit]
    if not paths:
        print(f"no pages under {CORPORA}", file=sys.stderr)
        return 2
    pages = [gzip.decompress(path.read_bytes()) for path in paths]
    default_ruleset()  # rules are loaded and compiled once per process, not per page
    if args.steps:
        verdict_steps(pages)
        return 0
    seconds = dict.fromkeys(STEPS, 0.0)
    statuses: dict[str, int] = {}
    differing: list[str] = []
    cpu_start = time.process_time()
    # First, while no verdict has built the automata's states yet.
    crawler = [crawler_pass(pages) for _ in CRAWLER_PASSES]
    gc.disable()
    for path, raw in zip(paths, pages, strict=True):
        clock = [time.perf_counter()]
        lxml.html.document_fromstring(raw)
        clock.append(time.perf_counter())
        LexborHTMLParser(raw)
        clock.append(time.perf_counter())
        doc = parse_document(raw, "")
        doc.tree  # noqa: B018 - the parse the crawler pays for once
        clock.append(time.perf_counter())
        by_lxml = verdict_for(doc)
        clock.append(time.perf_counter())
        by_lexbor = verdict_for(doc, reader=LexborPageReader(doc))
        clock.append(time.perf_counter())
        from_raw = verdict_for(parse_document(raw, ""))
        clock.append(time.perf_counter())
        for step, start, end in zip(STEPS, clock, clock[1:], strict=False):
            seconds[step] += end - start
        statuses[from_raw.status] = statuses.get(from_raw.status, 0) + 1
        verdicts = {tuple(getattr(v, f) for f in _FIELDS) for v in (by_lxml, by_lexbor, from_raw)}
        if len(verdicts) > 1:
            differing.append(str(path.relative_to(CORPORA)))
        gc.collect(0)
    gc.enable()
    cpu = time.process_time() - cpu_start
    n = len(pages)
    lxml_time = seconds["lxml"]
    megabytes = sum(map(len, pages)) / 1e6
    print(f"{n} pages, {megabytes:.0f} MB of HTML, one core, {cpu:.1f} s CPU in the loop")
    rows = (
        ("lxml parse only (baseline)", "lxml"),
        ("lexbor parse only (for scale)", "lexbor"),
        ("document decode + lxml parse", "document"),
        ("verdict on a parsed Document, lxml reader", "verdict_lxml"),
        ("verdict on a parsed Document, lexbor reader", "verdict_lexbor"),
        ("verdict from raw HTML (decode + lexbor reader)", "raw"),
    )
    for label, step in rows:
        print(f"{label:<48} {n / seconds[step]:7.0f} pages/s  {seconds[step]:6.2f} s")
    for name, (verdict, rest) in zip(CRAWLER_PASSES, crawler, strict=True):
        print(f"crawler's per-page work alone, {name}:")
        for label, spent in (("  without the verdict", rest), ("  the verdict inside it", verdict)):
            print(f"{label:<48} {n / spent:7.0f} pages/s  {spent:6.2f} s")
        print(f"  added to the crawler's per-page work:         {100 * verdict / rest:6.1f}%"
              "  (target <= 10%)")  # fmt: skip
    for label, step in (("lxml", "verdict_lxml"), ("lexbor", "verdict_lexbor")):
        added = 100 * seconds[step] / lxml_time
        print(f"added over lxml's parse alone, {label} reader:{'':<{9 - len(label)}} {added:6.1f}%"
              "  (strictest reading of that target)")  # fmt: skip
    print(
        "from raw HTML, share of lxml's rate:            "
        f"{100 * lxml_time / seconds['raw']:6.1f}%  (target >= 50%)"
    )
    print("statuses:", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"pages whose verdicts differ between readers: {len(differing)}", *differing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
