"""Which markup signals a page may carry, read from its bytes before anything reads its tree.

Licence links, JSON-LD rights and microdata rights are rare, and reading them from a tree
costs milliseconds, so a scan of the raw markup decides first whether they are worth reading.
Two scanners give the same answer: Hyperscan finds all four trigger words in one pass (half
the time inside the crawler, benchmarks/rights.md); RE2 and ``bytes.find`` make one pass
per word and run wherever the Hyperscan wheel does not (it is built for x86-64 only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from brwatch.settings import CoreSettings

_JSONLD_TYPE = b"application/ld+json"
_CREATIVE_COMMONS = b"creativecommons.org"
_SCRIPT_END = re2.compile(r"(?i)</script")
_RIGHTS_PROPERTIES = re2.compile(
    r"(?i)license|copyright|creditText|acquireLicensePage|usageInfo|isAccessibleForFree"
)
_MICRODATA_PROPERTY = (
    r"itemprop=[\"']?(?:license|copyright\w*|creditText|acquireLicensePage|usageInfo|"
    r"isAccessibleForFree)"
)
_MICRODATA_RIGHTS = re2.compile(f"(?i){_MICRODATA_PROPERTY}")
_LICENSE_WORD = re2.compile(r"(?i)license")
# A rel or property attribute naming a licence: read only in the bytes before each "license"
# (run over the whole markup it would stop at every rel= and property=).
_LICENSE_REL = re2.compile(r"(?i)(?:rel|property)\s*=\s*[\"']?[^\"'>]{0,80}license")
_LICENSE_REL_REACH = 200  # bytes before "license" _LICENSE_REL spans (97 + spaces around "=")
_MAX_LICENSE_WORDS = 50  # beyond this many, one scan of the whole markup is cheaper
_MAX_JSONLD_SCRIPTS = 1000  # beyond this many, the Hyperscan scan hands over to RE2


@dataclass(slots=True)
class MarkupHints:
    """Which markup signals a page may carry, so that only those are read from its tree."""

    licenses: bool = False  # a rel/property naming a licence, or a creativecommons.org URL
    jsonld_rights: bool = False  # a JSON-LD script naming a rights property
    microdata_rights: bool = False  # an itemprop naming a rights property


def markup_hints(source: bytes) -> MarkupHints:
    """The hints for the page's markup (its UTF-8 bytes)."""
    return _scan(source)


def scan_with_re2(source: bytes) -> MarkupHints:
    """One RE2 or ``bytes.find`` pass per trigger word, each at memory speed."""
    jsonld_rights = False
    start = source.find(_JSONLD_TYPE)
    while start >= 0 and not jsonld_rights:
        jsonld_rights = _jsonld_names_rights(source, start)
        start = source.find(_JSONLD_TYPE, start + 1)
    license_ends = (word.end() for word in _LICENSE_WORD.finditer(source))
    return MarkupHints(
        licenses=_CREATIVE_COMMONS in source or _names_license_rel(source, license_ends),
        jsonld_rights=jsonld_rights,
        microdata_rights=bool(_MICRODATA_RIGHTS.search(source)),
    )


class HyperscanScanner:
    """All trigger words in one Hyperscan pass; a page with more of them than the caps (a
    hostile one) goes to RE2, which gives the same answer."""

    _JSONLD, _CC, _LICENSE, _MICRODATA = range(4)

    def __init__(self, hyperscan: Any) -> None:
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=[
                _JSONLD_TYPE.replace(b"+", rb"\+"),
                _CREATIVE_COMMONS.replace(b".", rb"\."),
                b"license",
                _MICRODATA_PROPERTY.encode(),
            ],
            ids=[self._JSONLD, self._CC, self._LICENSE, self._MICRODATA],
            elements=4,
            flags=[
                0,
                hyperscan.HS_FLAG_SINGLEMATCH,
                hyperscan.HS_FLAG_CASELESS,
                hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH,
            ],
        )
        self._terminated = hyperscan.ScanTerminated
        self._prototype = hyperscan.Scratch(self._database)
        # Scratch space is per thread (the web app checks pages from a thread pool).
        self._local = threading.local()

    def __call__(self, source: bytes) -> MarkupHints:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        jsonld_ends: list[int] = []
        license_ends: list[int] = []
        seen: set[int] = set()

        def on_match(kind: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            seen.add(kind)
            if kind == self._JSONLD:
                jsonld_ends.append(end)
            elif kind == self._LICENSE:
                license_ends.append(end)
            # True stops the scan: past the caps, RE2 answers for the whole page.
            return len(license_ends) > _MAX_LICENSE_WORDS or len(jsonld_ends) > _MAX_JSONLD_SCRIPTS

        try:
            self._database.scan(source, match_event_handler=on_match, scratch=scratch)
        except self._terminated:
            return scan_with_re2(source)
        starts = (end - len(_JSONLD_TYPE) for end in jsonld_ends)
        return MarkupHints(
            licenses=self._CC in seen or _names_license_rel(source, iter(license_ends)),
            jsonld_rights=any(_jsonld_names_rights(source, start) for start in starts),
            microdata_rights=self._MICRODATA in seen,
        )


def _names_license_rel(source: bytes, license_ends: Any) -> bool:
    """Whether _LICENSE_REL matches in the markup, reading only the bytes before each
    "license" (at their ends, in order); past _MAX_LICENSE_WORDS, one scan of it all."""
    for count, end in enumerate(license_ends):
        if count >= _MAX_LICENSE_WORDS:
            return bool(_LICENSE_REL.search(source))
        if _LICENSE_REL.search(source[max(0, end - _LICENSE_REL_REACH) : end]):
            return True
    return False


def _jsonld_names_rights(source: bytes, start: int) -> bool:
    """Whether the markup from an "application/ld+json" to the next </script> (the script's
    text, perhaps a little more) names a rights property."""
    end = _SCRIPT_END.search(source, start)
    return bool(_RIGHTS_PROPERTIES.search(source[start : end.start() if end else len(source)]))


SCANNER_ENV = "BRWATCH_HINTS_SCANNER"
SCANNERS = ("auto", "hyperscan", "re2")


def _scanner() -> tuple[str, Callable[[bytes], MarkupHints]]:
    """(name, scanner) chosen once by BRWATCH_HINTS_SCANNER: ``auto`` (Hyperscan where its
    wheel installs and runs, else RE2), ``hyperscan`` (an error if it cannot run) or ``re2``."""
    wanted = CoreSettings.load().hints_scanner
    if wanted == "re2":
        return "re2", scan_with_re2
    try:
        import hyperscan  # optional: wheels exist for x86-64 only

        return "hyperscan", HyperscanScanner(hyperscan)
    except (ImportError, OSError, RuntimeError) as exc:  # (hyperscan.error is a RuntimeError)
        if wanted == "hyperscan":
            raise ValueError(f"{SCANNER_ENV}=hyperscan, but Hyperscan cannot run: {exc}") from exc
        return "re2", scan_with_re2


SCANNER_NAME, _scan = _scanner()
