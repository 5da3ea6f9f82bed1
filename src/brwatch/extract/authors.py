"""Author names from JSON-LD and meta tags, cleaned of byline words, initials, e-mail addresses
and photo credits."""

from __future__ import annotations

import re

from brwatch.extract.metadata import PageMetadata, ld_names

_AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "citation_author",
    "parsely-author",
    "sailthru.author",
    "byl",
)
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|de|от|автор|作者|文|记者)[\s:：/]+", re.IGNORECASE)
# "A and B", "A und B", "A, B", "A、B" … one value naming several people.
_SEPARATOR = re.compile(
    r"\s*(?:,|;|&|、|，|\s(?:and|und|og|och|et|e|y|ve|i|и)\s)\s*", re.IGNORECASE
)
# "Elena Oberholzer (obe)", "신현주 기자" (reporter), "张三 记者".
_TRAILER = re.compile(r"\s*(?:\([^)]{1,6}\)|기자|记者|記者)$")
_LAST_FIRST = re.compile(r"^([^\s,]+), ([^\s,]+)$")
_LETTER = re.compile(r"[^\W\d_]")
_MAX_NAME = 80


def _looks_like_address(value: str) -> bool:
    return (
        value.startswith(("http://", "https://", "//", "www.", "("))
        or "@" in value
        or "www." in value
    )


def page_authors(meta: PageMetadata) -> list[str]:
    """Authors in page order, without duplicates. An organisation the page names as author
    ("BBC News", "Le Monde") is kept: it is what the page claims."""
    raw = ld_names(meta.jsonld.get("author"))
    one_per_value = False
    if not raw:
        for key in _AUTHOR_META:
            raw = meta.meta_multi.get(key) or ([meta.meta[key]] if key in meta.meta else [])
            raw = [value for value in raw if not _looks_like_address(value)]
            if raw:
                # Repeated tags (citation_author) hold one person each, often "Last, First".
                one_per_value = len(raw) > 1
                break
    names: list[str] = []
    for value in raw:
        value = _BYLINE_PREFIX.sub("", value.strip())
        swapped = _LAST_FIRST.match(value) if one_per_value else None
        parts = [f"{swapped[2]} {swapped[1]}"] if swapped else _SEPARATOR.split(value)
        for part in parts:
            name = _TRAILER.sub("", part.strip(" .·|-"))
            # A name has letters; CMS user ids ("105092"), addresses and credits are not names.
            if not _LETTER.search(name) or len(name) > _MAX_NAME or _looks_like_address(name):
                continue
            if name not in names:
                names.append(name)
    return names
