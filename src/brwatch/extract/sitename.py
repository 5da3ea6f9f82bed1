"""The names a page gives its own site: og:site_name, the JSON-LD publisher, the <title>
suffix ("… - Silk Road Herald"), the header logo's text, the copyright holder.

Each candidate keeps where it was found: a single page can lie (a spoofed og:site_name, a
headline with a dash in it), so what a *source* is called is decided later, across its pages
and after its sources entry (brwatch.attribution.identities).
"""

from __future__ import annotations

import re

from lxml import etree

from brwatch.extract.metadata import PageMetadata, clean_space, ld_names
from brwatch.extract.titles import _segments

# Where a name was found, as stored and shown by `brwatch publishers`.
OG_SITE_NAME = "og:site_name"
JSONLD_PUBLISHER = "json-ld publisher"
TITLE_SUFFIX = "title suffix"
HEADER_LOGO = "header logo"
COPYRIGHT = "copyright holder"
FOUND_IN = (OG_SITE_NAME, JSONLD_PUBLISHER, TITLE_SUFFIX, HEADER_LOGO, COPYRIGHT)

_MAX_NAME = 60
_LOGO = re.compile(r"logo|brand|masthead|site-?name|site-?title", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?"
    r"(?:by\s+)?(?P<holder>[^.,;|©\n]{2,60}?)\s*(?:[.,;|]|all rights|版权所有|$)",
    re.IGNORECASE,
)
_COPYRIGHT_ZH = re.compile(
    r"版权所有\s*[：:]?\s*(?:©\s*)?(?:\d{4}\s*)?(?P<holder>[^\s，。,|©]{2,30})"
)
_NOT_A_NAME = re.compile(r"^(?:\d+|all rights reserved|版权所有|home|首页)$", re.IGNORECASE)
# Navigation, not a name: "返回网易首页" (back to the home page), "退出" (log out), "Home".
_NAVIGATION = re.compile(
    r"返回|首页|登录|登陆|注册|退出|搜索|\b(?:home|back|log ?in|log ?out|sign ?in|sign ?up|"
    r"search|menu|subscribe)\b",
    re.IGNORECASE,
)


def _name(text: str | None) -> str | None:
    name = clean_space(text).strip(" -–—|:：")
    if not name or len(name) > _MAX_NAME or _NOT_A_NAME.match(name):
        return None
    return name


def _title_suffix(title_tag: str, headline: str | None) -> str | None:
    """The last segment of a "headline - site" title, when it is not the headline itself."""
    parts = _segments(title_tag)
    if len(parts) < 2:
        return None
    last = parts[-1]
    if headline and (last == headline or headline in last):
        return None
    return _name(last)


def _logo_text(tree: etree._Element) -> str | None:
    """Text (or image alt) of the first logo-like element in the page header."""
    headers = tree.xpath("//header | //*[@id='header' or @class='header']") or [tree]
    for header in headers[:2]:
        for element in header.iter():
            if not isinstance(element.tag, str):
                continue
            marks = f"{element.get('class') or ''} {element.get('id') or ''}"
            if not _LOGO.search(marks):
                continue
            for text in (
                element.text_content(),
                element.get("title"),
                *(image.get("alt") for image in element.iter("img")),
            ):
                name = _name(text)
                if name and len(name) <= 30 and not _NAVIGATION.search(name):
                    return name
    return None


def _copyright_holder(tree: etree._Element) -> str | None:
    footers = tree.xpath("//footer | //*[@id='footer' or @class='footer']")
    for footer in reversed(footers):  # the page footer is usually the last
        text = clean_space(footer.text_content())
        for pattern in (_COPYRIGHT_ZH, _COPYRIGHT):
            match = pattern.search(text)
            if match:
                holder = _name(match.group("holder"))
                if holder:
                    return holder
    return None


def site_names(
    tree: etree._Element, meta: PageMetadata, headline: str | None
) -> list[tuple[str, str]]:
    """Every name the page gives its site, with where it was found, in order of trust."""
    found: list[tuple[str, str]] = []
    publisher = ld_names(meta.jsonld.get("publisher")) or (
        [meta.jsonld_publisher] if meta.jsonld_publisher else []
    )
    for name, where in (
        (meta.meta.get("og:site_name"), OG_SITE_NAME),
        (publisher[0] if publisher else None, JSONLD_PUBLISHER),
        (_title_suffix(meta.title_tag, headline), TITLE_SUFFIX),
        (_logo_text(tree), HEADER_LOGO),
        (_copyright_holder(tree), COPYRIGHT),
    ):
        clean = _name(name)
        if clean:
            found.append((clean, where))
    return found
