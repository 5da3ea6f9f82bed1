"""The markup hints that gate the slower signal readers: both scanners (Hyperscan, RE2) give
the same answer, on hand-made markup, on every corpus page and on hostile pages."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable

import pytest

from brwatch.rights import hints
from brwatch.rights.hints import HyperscanScanner, MarkupHints, scan_with_re2
from tests.conftest import CORPORA

hyperscan = pytest.importorskip("hyperscan", reason="Hyperscan wheels exist for x86-64 only")

Scanner = Callable[[bytes], MarkupHints]
SCANNERS: dict[str, Scanner] = {"re2": scan_with_re2, "hyperscan": HyperscanScanner(hyperscan)}


def _flags(found: MarkupHints) -> tuple[bool, bool, bool]:
    return found.licenses, found.jsonld_rights, found.microdata_rights


@pytest.mark.parametrize("name", SCANNERS)
def test_hints_are_true_exactly_when_the_markup_has_such_a_signal(name: str) -> None:
    """Also when the licence link comes after many other mentions of "license"."""

    def flags(markup: str) -> tuple[bool, bool, bool]:
        return _flags(SCANNERS[name](markup.encode()))

    assert flags('<a rel="nofollow" href="/x">license terms</a>') == (False, False, False)
    assert flags('<a REL="License" href="/terms">terms</a>') == (True, False, False)
    assert flags('<a href="https://creativecommons.org/licenses/by/4.0/">CC</a>') == (
        True, False, False,
    )  # fmt: skip
    jsonld = '<script type="application/ld+json">{{"@type": "NewsArticle"{}}}</script>'
    assert flags(jsonld.format("")) == (False, False, False)
    assert flags(jsonld.format(', "copyrightHolder": "X"')) == (False, True, False)
    # The first JSON-LD script names no rights, the second does.
    assert flags(jsonld.format("") + jsonld.format(', "license": "x"')) == (False, True, False)
    assert flags('<span itemprop="author">A</span>') == (False, False, False)
    assert flags("<span ITEMPROP='copyrightHolder'>A</span>") == (False, False, True)
    many = "<p>license</p>" * 60
    assert flags(many) == (False, False, False)
    assert flags(many + '<link rel="license" href="/l">') == (True, False, False)


def test_both_scanners_agree_on_every_corpus_page() -> None:
    pages = sorted(CORPORA.glob("**/*.html.gz"))
    assert len(pages) > 1000
    differing = []
    for path in pages:
        source = gzip.decompress(path.read_bytes())
        by_re2, by_hyperscan = (_flags(scanner(source)) for scanner in SCANNERS.values())
        if by_re2 != by_hyperscan:
            differing.append((path.name, by_re2, by_hyperscan))
    assert differing == []


@pytest.mark.parametrize(
    "markup",
    [
        # Past the caps the Hyperscan scan stops and RE2 reads the whole page.
        b"<p>LICENSE</p>" * 5000 + b'<span itemprop="license">x</span>',
        b"<p>license</p>" * 5000 + b"https://creativecommons.org/publicdomain/zero/1.0/",
        b'<script type="application/ld+json">{}</script>' * 1500
        + b'<script type="application/ld+json">{"license": "x"}</script>',
        b"",
        b"\xff\xfe\x00 not UTF-8 \x80 license",
    ],
)
def test_hostile_pages_get_the_same_hints(markup: bytes) -> None:
    assert _flags(SCANNERS["hyperscan"](markup)) == _flags(scan_with_re2(markup))


def test_the_hyperscan_scanner_is_used_when_the_library_is_there() -> None:
    assert isinstance(hints._scan, HyperscanScanner)


def test_threads_scan_at_once_with_their_own_scratch_space() -> None:
    scanner = SCANNERS["hyperscan"]
    pages = {
        b"<a rel=license href=/l>x</a>" * 200: (True, False, False),
        b"<span itemprop=usageInfo>x</span>" * 200: (False, False, True),
        b"<p>plain</p>" * 2000: (False, False, False),
    }
    wrong: list[object] = []

    def work() -> None:
        try:
            for _ in range(200):
                for markup, expected in pages.items():
                    if _flags(scanner(markup)) != expected:
                        wrong.append(markup[:20])
        except Exception as exc:  # e.g. hyperscan's "scratch in use", raised in this thread
            wrong.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
