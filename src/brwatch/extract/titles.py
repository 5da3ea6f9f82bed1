"""The headline of a page.

In order: what discovery knew (feed/sitemap title); an <h1> the <title> confirms; the declared
headline (JSON-LD, og:title); the <title> without the site name templates append ("标题_新浪网",
"Headline - Site"), unless it is generic or only a banner far above the article; then the line
the page shows above the article (brwatch.extract.headline); finally the bare <title>.
"""

from __future__ import annotations

import re

from lxml import etree

from brwatch.extract.headline import (
    CJK_CHAR,
    MIN_HEADLINE,
    generic_title,
    headline_above_article,
    squash,
)
from brwatch.extract.metadata import PageMetadata, clean_space, clean_value
from brwatch.extract.visible import VisiblePieces

_CJK = "\u3000-\u9fff\uff00-\uffef\u2018-\u201f"
# Separators between headline and site/section names in <title> and og:title.
_SEPARATORS = re.compile(
    rf"\s+[-|–—·»:/]\s+|\s*(?:[_|｜－<>»]+|-{{2,}})\s*|(?<=[{_CJK})）])\s*-\s*(?=[{_CJK}A-Za-z])"
)
# Forum and CMS field labels in front of a headline.
_LABEL = re.compile(r"^(?:主题|标题|題目|题目|Subject|Title)\s*[:：]\s*", re.IGNORECASE)
# Dangling separators and page numbers at the end: "标题- -", "Title (页 1)".
_TRAILER = re.compile(
    r"(?:\s*[-_|｜–—:]+\s*)+$|\s*[(（](?:页|第)\s*\d+\s*页?[)）]$|\s*\(page \d+\)$", re.I
)
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
# The least score a shown line needs to replace a generic <title>.
_WEAK_SCORE = 0.5


def _segments(title: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(title) if part and part.strip()]


def clean_title(title: str | None) -> str:
    """Without field labels ("主题："), page numbers ("(页 1)"), dangling separators, and the
    private-use characters legacy Chinese pages carry."""
    title = _LABEL.sub("", _PRIVATE_USE.sub("", clean_space(title)))
    return _TRAILER.sub("", title).strip()


def strip_site_name(title: str, site_name: str | None = None) -> str:
    """The headline part of a page title: the longest segment that is not the site name."""
    parts = _segments(title)
    if len(parts) <= 1:
        return title.strip()
    site = (site_name or "").casefold()
    candidates = [part for part in parts if part.casefold() != site] or parts
    return max(candidates, key=_info)


def _info(text: str) -> int:
    """Length by information: a Chinese character says about as much as two Latin letters."""
    return len(text) + len(CJK_CHAR.findall(text))


def _confirmed_heading(headings: list[str], confirmations: list[str]) -> str | None:
    """The first <h1> whose text a <title>/og:title contains (or that contains its headline)."""
    for heading in headings:
        if _info(heading) < MIN_HEADLINE:
            continue
        for title in confirmations:
            headline = strip_site_name(title)
            parts = _segments(title)
            # The whole headline, or the first part of the title: not just the site name.
            covers = len(heading) * 2 >= len(headline) or (bool(parts) and heading == parts[0])
            if covers and (
                heading in title or (len(headline) >= MIN_HEADLINE and headline in heading)
            ):
                return heading
    return None


def choose_title(
    hint: str | None,
    declared: str | None,
    meta: PageMetadata,
    site_name: str | None,
    tree: etree._Element | None = None,
    text: str = "",
    visible: VisiblePieces | None = None,
) -> str | None:
    """The headline, by the order in the module docstring; None for a page without any."""
    hinted = clean_title(clean_value(hint))  # feed titles are often escaped twice
    if len(hinted) >= MIN_HEADLINE:
        return hinted
    og_title = meta.meta.get("og:title") or meta.meta.get("twitter:title") or ""
    confirmations = [title for title in (meta.title_tag, og_title, declared or "") if title]
    heading = _confirmed_heading(meta.headings, confirmations)
    if heading:
        return clean_title(heading)
    declared = clean_title(declared)
    if len(declared) >= MIN_HEADLINE:
        return declared
    if len(og_title) >= MIN_HEADLINE:
        return clean_title(strip_site_name(og_title, site_name))
    tag = clean_title(strip_site_name(meta.title_tag, site_name)) if meta.title_tag else ""
    tag_headline = strip_site_name(meta.title_tag) if meta.title_tag else ""
    shown = headline_above_article(tree, text, tag_headline, visible) if tree is not None else None
    # A <title> shown only far above the article is the site's banner, not this story's.
    banner = shown is not None and shown.title_is_banner
    if tag and not banner and not generic_title(tag, text):
        if shown and shown.line and squash(shown.line) != squash(tag):
            line = squash(shown.line)
            if line in squash(tag) and len(line) * 2 >= len(squash(tag)):
                return clean_title(shown.line)  # the page shows the <title> minus the site name
        return tag
    if shown and shown.line and shown.score >= _WEAK_SCORE:
        return clean_title(shown.line)
    if tag:
        return tag
    return clean_title(meta.headings[0]) if meta.headings else None
