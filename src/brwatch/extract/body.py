"""Main text of the page, by trafilatura working on the shared lxml tree.

trafilatura copies a tree it is handed before pruning it, so the Document's tree stays intact
for the rights engine, which needs the footer that extraction throws away.
"""

from __future__ import annotations

import logging
import re
from copy import copy
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import cast

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document as ExtractedDocument
from trafilatura.settings import Extractor


def _vendored_cascade() -> ModuleType | None:
    """The vendored cascade, or None when this trafilatura lacks the private names it uses
    (then the public bare_extraction runs: the same text, slower)."""
    try:
        from brwatch.extract._vendor import trafilatura_cascade
    except (ImportError, AttributeError, IndexError, KeyError, TypeError) as exc:
        logging.getLogger(__name__).info("extraction through trafilatura's public API: %s", exc)
        return None
    return trafilatura_cascade


cascade = _vendored_cascade()

# trafilatura logs a warning for every page it judges empty (listings, error pages); the
# caller sees an empty text instead, so the warning is noise in a crawl log.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
_MAX_CHROME_ROW = 300
# Site copyright notices as they appear in page footers.
_NOTICE = re.compile(
    r"版权所有|版權所有|all rights reserved|copyright|©|\(c\)\s*\d{4}", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class BodySettings:
    """The trafilatura options brwatch uses, chosen in benchmarks/extraction.md.

    Comments are not article text; tables often are (schedules, figures; old Chinese portals
    lay whole articles out in tables). `fast` skips trafilatura's fallback extractors
    (readability, jusText): on article-extraction-benchmark it scores a higher token F1 than
    trafilatura's defaults (0.964 vs 0.962) at about 1.3x the speed. `favor_recall` would add
    0.001 F1 but let site copyright footers into the text of twice as many pages, where the
    rights engine would read them as the article's own terms. See benchmarks/extraction.md.
    """

    fast: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False


DEFAULT_BODY = BodySettings()


def extract_body(tree: HtmlElement, url: str | None, settings: BodySettings = DEFAULT_BODY) -> str:
    """The article's main text, paragraphs separated by newlines; '' when there is none."""
    try:
        if cascade is not None and cascade.covers(settings.fast, settings.include_comments):
            text = cascade.main_text(tree, url, _options(settings))
            return _without_layout_chrome(text or "")
        # The public API, with the options built once (a copy per page carries the URL).
        options = copy(_options(settings))
        options.url = url or None
        options.source = options.url
        # Without as_dict, trafilatura hands back its Document (or None).
        result = cast(
            "ExtractedDocument | None", bare_extraction(tree, url=url or None, options=options)
        )
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        # Pathological markup; an empty body is the honest result, logged with the URL.
        logging.getLogger(__name__).warning("main text extraction failed for %s: %s", url, error)
        return ""
    return _without_layout_chrome(result.text or "") if result is not None else ""


@cache
def _options(settings: BodySettings) -> Extractor:
    """The Extractor bare_extraction would build for brwatch's call (the URL set per page).
    Built once: the constructor reads trafilatura's configuration on every call. Its date
    settings (today's date) only serve metadata extraction, which brwatch does not ask for."""
    return Extractor(
        output_format="python",
        fast=settings.fast,
        precision=settings.favor_precision,
        recall=settings.favor_recall,
        comments=settings.include_comments,
        tables=settings.include_tables,
        with_metadata=False,
    )


def _chrome_row(line: str) -> bool:
    # A long row is a whole layout cell: the article itself may share it with the footer.
    row = line.strip()
    return row.startswith("|") and len(row) <= _MAX_CHROME_ROW and bool(_NOTICE.search(row))


def _without_layout_chrome(text: str) -> str:
    """The text without the copyright rows of layout tables.

    Old portals lay the whole page out in one table, so trafilatura keeps its footer cells
    ("| Copyright © 2005 Sohu.com … 版权所有 |") as article text, where a site-wide notice would
    read as the article's own reprint terms. A table row carrying a copyright notice is page
    chrome; a notice written as a paragraph of the article stays.
    """
    if "|" not in text:
        return text
    lines = text.split("\n")
    kept = [line for line in lines if not _chrome_row(line)]
    return "\n".join(kept) if len(kept) < len(lines) else text
