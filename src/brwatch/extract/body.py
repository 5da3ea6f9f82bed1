"""Main text of the page, by trafilatura working on the shared lxml tree.

trafilatura copies a tree it is handed before pruning it, so the Document's tree stays intact
for the rights engine, which needs the footer that extraction throws away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lxml import etree
from trafilatura import bare_extraction

# trafilatura logs a warning for every page it judges empty (listings, error pages); the
# caller sees an empty text instead, so the warning is noise in a crawl log.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class BodySettings:
    """The trafilatura options brwatch uses, chosen in benchmarks/extraction.md.

    Comments are not article text; tables often are (schedules, figures; old Chinese portals
    lay whole articles out in tables). `fast` skips trafilatura's fallback extractors
    (readability, jusText) and `favor_recall` keeps borderline paragraphs: together measured
    best on article-extraction-benchmark (token F1 0.965 vs 0.962 with trafilatura's defaults)
    at about 1.5x the speed; see benchmarks/extraction.md.
    """

    fast: bool = True
    favor_precision: bool = False
    favor_recall: bool = True
    include_tables: bool = True
    include_comments: bool = False


DEFAULT_BODY = BodySettings()


def extract_body(
    tree: etree._Element, url: str | None, settings: BodySettings = DEFAULT_BODY
) -> str:
    """The article's main text, paragraphs separated by newlines; '' when there is none."""
    try:
        result = bare_extraction(
            tree,
            url=url or None,
            fast=settings.fast,
            favor_precision=settings.favor_precision,
            favor_recall=settings.favor_recall,
            include_comments=settings.include_comments,
            include_tables=settings.include_tables,
            with_metadata=False,
        )
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        # Pathological markup; an empty body is the honest result, logged with the URL.
        logging.getLogger(__name__).warning("main text extraction failed for %s: %s", url, error)
        return ""
    return (result.text or "") if result is not None else ""
