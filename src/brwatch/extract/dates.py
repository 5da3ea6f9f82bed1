"""Publication dates: parse declared values, find a dateline in the text, fall back to htmldate.

A date carries a time zone when its source gave one; otherwise it is naive (a wall-clock
time in the publisher's zone, which we do not know).
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil import parser as dateutil_parser
from htmldate import find_date
from lxml.html import HtmlElement

from brwatch.extract.metadata import PageMetadata
from brwatch.extract.visible import VisiblePieces, visible_text

_EARLIEST = datetime(1990, 1, 1)
# Datelines as Chinese, Japanese and Korean pages write them, and the numeric forms that
# htmldate misses when month or day has one digit: 2005年3月2日 10:21, 2022-03-01 09:12:33.
_CJK_DATELINE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})(?!\d)\s*[日号]?"
    r"(?:\s*(?:[（(][^)）]{1,4}[)）]|星期.)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_HTMLDATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# "发布日期： 2005-04-05 06:40", "发表于 2005年3月2日", "Posted: 9/17/2004 5:54:13 AM".
_LABEL = (
    r"(?:发布日期|发布时间|發布日期|發佈時間|发表时间|发表日期|發表時間|更新时间|出版日期|日期|时间|"
    r"发表于|发布于|Published(?: on)?|Posted(?: on)?|Date)\s*[:：]?\s*"
)
_LABELLED = re.compile(_LABEL + r"(?=\d)")
_NUMERIC_US = re.compile(
    r"^(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)
# Chinese full dates (year, month and day written with 年月日) anywhere in the text.
_CJK_FULL = re.compile(
    r"(?<!\d)((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：时](\d{1,2}))?"
)
# A month without a day: a magazine issue ("《北京之春》1998年3月号").
_CJK_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)年(\d{1,2})月(?!\d)")


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
    if isinstance(value, date):
        return plausible(datetime(value.year, value.month, value.day))
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
        with warnings.catch_warnings():
            # "EST"/"IST" are ambiguous zone names; dateutil warns and returns a naive time.
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
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


def find_labelled_date(text: str) -> datetime | None:
    """The first date that a label such as "发布日期：" or "Posted:" introduces."""
    for label in _LABELLED.finditer(text):
        rest = text[label.end() : label.end() + 40]
        match = _CJK_DATELINE.match(rest)
        moment = dateline(match) if match else _us_numeric(rest)
        if moment is not None:
            return moment
    return None


def _us_numeric(text: str) -> datetime | None:
    """M/D/YYYY [h:mm[:ss] [AM|PM]], read day-first when the first number cannot be a month."""
    match = _NUMERIC_US.match(text)
    if not match:
        return None
    first, second, year = (int(g) for g in match.groups()[:3])
    hour, minute, second_of_minute = (int(g) if g else 0 for g in match.groups()[3:6])
    meridiem = (match.group(7) or "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    month, day = (second, first) if first > 12 else (first, second)
    try:
        return plausible(datetime(year, month, day, hour, minute, second_of_minute))
    except ValueError:
        return None


def find_chinese_date(text: str) -> datetime | None:
    """The first full Chinese date (2005年8月12日 16:12) anywhere in the text."""
    for match in _CJK_FULL.finditer(text):
        year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
        try:
            moment = plausible(datetime(year, month, day, hour, minute))
        except ValueError:
            continue
        if moment is not None:
            return moment
    return None


def refine_month(moment: datetime, text: str) -> datetime:
    """htmldate fills an unknown month and day with January 1st; a "1998年3月" of the same
    year in the text supplies the month."""
    if (moment.month, moment.day, moment.hour, moment.minute) != (1, 1, 0, 0):
        return moment
    for match in _CJK_MONTH.finditer(text):
        year, month = int(match.group(1)), int(match.group(2))
        if year == moment.year and 1 <= month <= 12:
            return moment.replace(month=month)
    return moment


def htmldate_guess(tree: HtmlElement, url: str | None) -> datetime | None:
    """htmldate's guess on the shared tree (it copies before pruning, so the tree stays intact).

    The quick search (markup, URL) first; the extensive one, which runs dateparser over the
    text and costs several times more, only when the quick one finds nothing.
    """
    for extensive in (False, True):
        try:
            found = find_date(
                tree,
                url=url or None,
                original_date=True,
                extensive_search=extensive,
                outputformat=_HTMLDATE_FORMAT,
            )
        except (ValueError, TypeError):
            return None
        if found:
            return plausible(datetime.strptime(found, _HTMLDATE_FORMAT))
    return None


# Meta tags that carry a publication date, most specific first.
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "article.published",
    "publishtime",
    "firstpublishedtime",
)
# How far below the headline a dateline is looked for, in characters of visible text.
_DATELINE_WINDOW = 600


def publication_date(
    hints: dict[str, Any],
    meta: PageMetadata,
    title: str | None,
    tree: HtmlElement,
    url: str | None,
    visible: VisiblePieces | None = None,
) -> tuple[datetime | None, str | None]:
    """(date, where it came from): the feed or sitemap, JSON-LD, meta tags, <time>, the page's
    own text (dateline under the headline, a labelled date, a Chinese full date), htmldate."""
    moment = parse_date(hints.get("published"))
    if moment:
        return moment, "hint"
    for value in (meta.jsonld.get("datePublished"), meta.jsonld.get("dateCreated")):
        moment = parse_date(value)
        if moment:
            return moment, "jsonld"
    for key in _DATE_META:
        moment = parse_date(meta.meta.get(key))
        if moment:
            return moment, "meta"
    for value in meta.time_datetimes[:1]:
        moment = parse_date(value)
        if moment:
            return moment, "time"
    shown = visible_text(tree, visible)
    moment = (
        _dateline_under_title(shown, title) or find_labelled_date(shown) or find_chinese_date(shown)
    )
    if moment:
        return moment, "text"
    moment = htmldate_guess(tree, url)
    if moment:
        return refine_month(moment, shown), "htmldate"
    return None, None


def _dateline_under_title(visible: str, title: str | None) -> datetime | None:
    """A date printed just below the headline, as Chinese news pages do (2005年3月2日 10:21)."""
    if not title:
        return None
    anchor = visible.find(title[:30])
    if anchor < 0:
        return None
    return find_dateline(visible[anchor : anchor + len(title) + _DATELINE_WINDOW])
