"""Publication dates: parse declared values, find a dateline in the text, fall back to htmldate.

A date carries a time zone when its source gave one; otherwise it is naive (a wall-clock
time in the publisher's zone, which we do not know).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import parser as dateutil_parser
from htmldate import find_date
from lxml import etree

_EARLIEST = datetime(1990, 1, 1)
# Datelines as Chinese, Japanese and Korean pages write them, and the numeric forms that
# htmldate misses when month or day has one digit: 2005年3月2日 10:21, 2022-03-01 09:12:33.
_CJK_DATELINE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})(?!\d)\s*[日号]?"
    r"(?:\s*(?:[（(][^)）]{1,4}[)）]|星期.)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_HTMLDATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def plausible(moment: datetime | None) -> datetime | None:
    """The date if it could be a publication date (not before 1990, not in the future)."""
    if moment is None:
        return None
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    if naive < _EARLIEST or naive > datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2):
        return None
    return moment


def parse_date(value: Any) -> datetime | None:
    """A datetime from a declared value (ISO 8601, RFC 822, a datetime); None if unparseable."""
    if isinstance(value, datetime):
        return plausible(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return plausible(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    match = _CJK_DATELINE.search(text)
    if match and match.start() == 0:
        return dateline(match)
    try:
        return plausible(dateutil_parser.parse(text, fuzzy=False))
    except (ValueError, OverflowError, TypeError):
        return None


def dateline(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return plausible(datetime(year, month, day, hour, minute, second))
    except ValueError:
        return None


def find_dateline(text: str) -> datetime | None:
    """The first plausible numeric or CJK date in `text` (usually the lines under a headline)."""
    for match in _CJK_DATELINE.finditer(text):
        moment = dateline(match)
        if moment is not None:
            return moment
    return None


def htmldate_guess(tree: etree._Element, url: str | None) -> datetime | None:
    """htmldate's guess on the shared tree (it copies before pruning, so the tree stays intact)."""
    try:
        found = find_date(
            tree,
            url=url or None,
            original_date=True,
            extensive_search=True,
            outputformat=_HTMLDATE_FORMAT,
        )
    except (ValueError, TypeError):
        return None
    return plausible(datetime.strptime(found, _HTMLDATE_FORMAT)) if found else None
