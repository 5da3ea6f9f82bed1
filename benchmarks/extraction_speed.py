"""CPU cost per page of brwatch's extraction stage, against an earlier commit, in one process.

    python benchmarks/extraction_speed.py                      # against HEAD
    python benchmarks/extraction_speed.py --against d68f0b5    # against an older commit
    python benchmarks/extraction_speed.py --rounds 7 --corpus chinese

Each page is decoded and parsed once, outside the timing (that is the Document's work, shared
by every stage); then `extract_article` runs on the parsed Document the way
`brwatch.pipeline.process` calls it. The earlier version of `src/brwatch/extract` is read out of
git into a temporary package, so both run in the same process on the same trees. Rounds
alternate between the two (the machine is shared and its speed drifts); CPU time of the process
(`time.process_time`), one core. Also checks that both give the same article fields.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from brwatch.document import Document, FetchedPage, parse_document
from brwatch.extract import extract_article
from brwatch.extract.evaluation import article_benchmark, chinese_corpus, dated_pages

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
_PACKAGE = "src/brwatch/extract"


def load_version(ref: str, into: Path) -> Callable[[Document], object]:
    """extract_article as it was at git `ref`, imported as a package of its own."""
    name = "brwatch_extract_" + "".join(c if c.isalnum() else "_" for c in ref)
    package = into / name
    package.mkdir()
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:{_PACKAGE}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for file in listing:
        if not file.endswith(".py"):
            continue
        source = subprocess.run(
            ["git", "show", f"{ref}:{_PACKAGE}/{file}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / file).write_text(source.replace("brwatch.extract", name), encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(name).extract_article


def corpus_pages(corpus: str) -> list[tuple[str, bytes]]:
    if corpus == "articles":
        pages = article_benchmark(CORPORA / "article-extraction-benchmark")
        return [(page.url, page.html) for page in pages]
    if corpus == "chinese":
        pages = chinese_corpus(CORPORA / "chinese-web-content-extraction")
        return [("", page.html) for page in pages]
    return [(page.url, page.html) for page in dated_pages(CORPORA / "htmldate-mediacloud-2020")]


def cpu_ms_per_page(extract: Callable[[Document], object], documents: list[Document]) -> float:
    started = time.process_time()
    for document in documents:
        extract(document)
    return (time.process_time() - started) * 1000 / len(documents)


def fields(article: object) -> tuple:
    return tuple(getattr(article, name) for name in article.__slots__)  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="git ref of the earlier version")
    parser.add_argument("--rounds", type=int, default=5)
    corpora = ("articles", "chinese", "mediacloud")
    parser.add_argument("--corpus", choices=corpora, default="articles")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        earlier = load_version(args.against, Path(scratch))
        pages = corpus_pages(args.corpus)
        documents = [parse_document(FetchedPage(url=url, body=html)) for url, html in pages]
        for document in documents:
            document.tree  # noqa: B018 - parse outside the timing
        different = sum(
            fields(earlier(document)) != fields(extract_article(document)) for document in documents
        )
        versions = {f"{args.against}": earlier, "working tree": extract_article}
        timings: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(args.rounds):
            for name, extract in versions.items():
                timings[name].append(cpu_ms_per_page(extract, documents))
    print(f"{args.corpus}: {len(documents)} pages, {args.rounds} alternating rounds, CPU ms/page")
    print(f"pages whose article fields differ between the two: {different}")
    for name, values in timings.items():
        low, median, high = min(values), statistics.median(values), max(values)
        print(f"  {name:<14} median {median:6.2f}  range {low:6.2f} - {high:6.2f}")
    before, after = (statistics.median(values) for values in timings.values())
    print(f"  working tree / {args.against}: {after / before:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
