"""The headline: a declared headline, or the <h1> the <title> confirms, or the <title> without
the site name that templates append ("标题_新浪网", "Headline - Site | Section")."""

from __future__ import annotations

import re

from brwatch.extract.metadata import PageMetadata, clean_space

# Separators between headline and site/section names in <title> and og:title.
_CJK = "\u3000-\u9fff\uff00-\uffef"
_SEPARATORS = re.compile(
    rf"\s+[-|–—·»:/]\s+|\s*(?:[_|｜－—]+|-{{2,}})\s*|(?<=[{_CJK}])\s*-\s*(?=[{_CJK}])"
)
_MIN_HEADLINE = 4


def _segments(title: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(title) if part and part.strip()]


def strip_site_name(title: str, site_name: str | None = None) -> str:
    """The headline part of a page title: the longest segment that is not the site name."""
    parts = _segments(title)
    if len(parts) <= 1:
        return title.strip()
    site = (site_name or "").casefold()
    candidates = [part for part in parts if part.casefold() != site] or parts
    return max(candidates, key=len)


def _confirmed_heading(headings: list[str], title_tag: str) -> str | None:
    """The first <h1> whose text the <title> contains (or that contains the title's headline)."""
    if not title_tag:
        return None
    headline = strip_site_name(title_tag)
    for heading in headings:
        if len(heading) < _MIN_HEADLINE:
            continue
        if heading in title_tag or (len(headline) >= _MIN_HEADLINE and headline in heading):
            return heading
    return None


def choose_title(
    hint: str | None, declared: str | None, meta: PageMetadata, site_name: str | None
) -> str | None:
    for candidate in (hint, declared):
        candidate = clean_space(candidate)
        if len(candidate) >= _MIN_HEADLINE:
            return candidate
    heading = _confirmed_heading(meta.headings, meta.title_tag)
    if heading:
        return heading
    for key in ("og:title", "twitter:title", "dc.title", "title"):
        value = meta.meta.get(key)
        if value and len(value) >= _MIN_HEADLINE:
            return strip_site_name(value, site_name)
    if meta.title_tag:
        return strip_site_name(meta.title_tag, site_name)
    return meta.headings[0] if meta.headings else None
