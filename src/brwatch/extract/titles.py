"""The headline of a page.

In order: what discovery knew (feed/sitemap title); an <h1> the <title> confirms; the declared
headline (JSON-LD, og:title); the <title> without the site name templates append ("标题_新浪网",
"Headline - Site"), when the page shows it above the article; otherwise the emphasised line just
above the article text (old Chinese portals put "网易娱乐" or "显示" in <title> and the real
headline in a bold, centred or class="title" cell above the story); finally the bare <title>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from brwatch.extract.dates import find_dateline
from brwatch.extract.metadata import PageMetadata, clean_space
from brwatch.extract.visible import VISIBLE_PIECES

_CJK = "\u3000-\u9fff\uff00-\uffef\u2018-\u201f"
# Separators between headline and site/section names in <title> and og:title.
_SEPARATORS = re.compile(
    rf"\s+[-|–—·»:/]\s+|\s*(?:[_|｜－<>»]+|-{{2,}})\s*|(?<=[{_CJK})）])\s*-\s*(?=[{_CJK}A-Za-z])"
)
_MIN_HEADLINE = 4
_MAX_HEADLINE = 120
# Forum and CMS field labels in front of a headline.
_LABEL = re.compile(r"^(?:主题|标题|題目|题目|Subject|Title)\s*[:：]\s*", re.IGNORECASE)
_TRAILER = re.compile(
    r"(?:\s*[-_|｜–—:]+\s*)+$|\s*[(（](?:页|第)\s*\d+\s*页?[)）]$|\s*\(page \d+\)$", re.I
)
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
# Lines above an article that are not its headline: bylines, datelines, sources, page tools.
_NOT_HEADLINE = re.compile(
    r"^(?:作者|来源|來源|发布|發布|时间|時間|日期|记者|編輯|编辑|责任编辑|字体|当前位置|您现在的位置|"
    r"首页|返回|打印|关闭|分享|评论|by\b|source\b|posted\b|published\b|updated\b)",
    re.IGNORECASE,
)
# Subtitles ("——当代中国的精神危机") and field labels ("作者：") are not headlines.
_NOT_HEADLINE_SHAPE = re.compile(r"^[—－\-]|[:：]$")
_LETTERS = re.compile(r"[^\W\d_]")
_SENTENCE = re.compile(r"[。，！？；]|[,.;!?](?:\s|$)")
# A field label on the line before the headline (forums, government notices).
_FIELD_LABEL = re.compile(r"^(?:主\s*题|标\s*题|題\s*目|题\s*目|subject|title)\s*[:：]\s*$", re.I)
_BYLINE_WORDS = re.compile(r"来源|來源|作者|记者|http|www\.|source|by\s", re.IGNORECASE)
_TITLE_MARK = re.compile(r"title|headline|heading|subject|biaoti|\bbt\b|bt_|_bt|\btit\b", re.I)
# How many text pieces above the article start are considered, and the score a line needs.
_LOOKBACK = 30
# The least score a shown line needs to replace a generic <title>.
_WEAK_SCORE = 0.5
_LONG_HEADLINE = 8
_MAX_GENERIC = 5
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
_CONFIRM_DISTANCE = 15
_MAX_EMPHASIS = 3.5
_NOTICE = re.compile(
    r"版权|著作权|转载|本站|本网|免责|copyright|all rights reserved|域名|cookie", re.IGNORECASE
)
_MIN_CONFIRMED = 6


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
    return len(text) + len(_CJK_CHAR.findall(text))


def _confirmed_heading(headings: list[str], confirmations: list[str]) -> str | None:
    """The first <h1> whose text a <title>/og:title contains (or that contains its headline)."""
    for heading in headings:
        if _info(heading) < _MIN_HEADLINE:
            continue
        for title in confirmations:
            headline = strip_site_name(title)
            parts = _segments(title)
            # The whole headline, or the first part of the title: not just the site name.
            covers = len(heading) * 2 >= len(headline) or (bool(parts) and heading == parts[0])
            if covers and (
                heading in title or (len(headline) >= _MIN_HEADLINE and headline in heading)
            ):
                return heading
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _is_prose(line: str, length: int) -> bool:
    """A sentence of running text, not a navigation item."""
    return len(_squash(line)) >= length and bool(_SENTENCE.search(line))


def _article_start(cells: list[str]) -> str:
    """The first long sentence that is not a site notice ("本站所有文章…", "Copyright …")."""
    for length in (50, 20):
        for cell in cells:
            if _is_prose(cell, length) and not _NOTICE.search(cell):
                return cell
    return ""


def _lines_above_article(tree: etree._Element, text: str) -> list[tuple[str, etree._Element]]:
    """The visible text pieces just above where the article text starts, nearest first."""
    # Anchor on the first real paragraph: extractors often keep the headline and byline as the
    # first lines of the text, and those are exactly the candidates wanted here.
    # Extractors render layout tables as "| cell | cell |" rows: look at cells.
    lines = [cell for line in text.splitlines() for cell in line.split("|")]
    first_line = _article_start(lines)
    anchor = _squash(first_line)[:12]
    if not anchor:
        return []
    pieces: list[tuple[str, etree._Element, int]] = []
    squashed: list[str] = []
    offset = 0
    for piece in VISIBLE_PIECES(tree):
        line = clean_space(piece)
        owner = piece.getparent()
        if piece.is_tail and owner is not None:
            owner = owner.getparent()
        if not line or owner is None:
            continue
        pieces.append((line, owner, offset))
        squashed.append(_squash(line))
        offset += len(squashed[-1])
    # Inline markup splits a paragraph into pieces, so search the joined text.
    start = "".join(squashed).find(anchor)
    if start < 0:
        return []  # the article start was not found: no reliable "above"
    above = [(line, owner) for line, owner, at in pieces if at + len(_squash(line)) <= start]
    return above[::-1]


def _emphasis(element: etree._Element) -> float:
    """How much the markup around a line says "headline"."""
    score = 0.0
    seen_bold = False
    node: etree._Element | None = element
    for depth in range(4):
        if node is None or not isinstance(node.tag, str):
            break
        tag = node.tag.lower()
        if tag in ("h1", "h2", "h3", "h4"):
            score += 3.0 if depth < 3 else 1.0
        marks = f"{node.get('class', '')} {node.get('id', '')}"
        if _TITLE_MARK.search(marks):
            score += 3.0
        size = node.get("size", "")
        if not seen_bold and (tag in ("b", "strong", "big") or (tag == "font" and size >= "3")):
            score += 1.5
            seen_bold = True
        if (node.get("align") or "").lower() == "center":
            score += 0.5
        if tag in ("li", "option", "nav", "footer"):
            score -= 2.0
        if tag == "a" and depth == 0:
            score -= 0.5
        node = node.getparent()
    return score


@dataclass(frozen=True, slots=True)
class ShownHeadline:
    """What the page shows above the article: the best headline-like line and its score, and
    how far above the article the <title>'s headline appears (None: not shown)."""

    line: str | None
    score: float
    title_distance: int | None


def headline_above_article(tree: etree._Element, text: str, title_tag: str) -> ShownHeadline:
    lines = _lines_above_article(tree, text)
    tag_headline = _squash(strip_site_name(title_tag)) if title_tag else ""
    generic_tag = bool(tag_headline) and _generic(tag_headline, text)
    title_distance = next(
        (
            at
            for at, (line, _) in enumerate(lines)
            if tag_headline and _squash(line) == tag_headline
        ),
        None,
    )
    best, best_score = None, float("-inf")
    for distance, (line, element) in enumerate(lines[:_LOOKBACK]):
        squashed = _squash(line)
        if not _MIN_HEADLINE <= len(squashed) <= _MAX_HEADLINE or _NOT_HEADLINE.match(line):
            continue
        if len(_LETTERS.findall(squashed)) < 2 or _NOT_HEADLINE_SHAPE.search(line):
            continue
        if find_dateline(line) and (len(squashed) < 40 or _BYLINE_WORDS.search(line)):
            continue
        if generic_tag and squashed == tag_headline:
            continue  # the site or section name the <title> carries, shown as a banner
        score = min(_emphasis(element), _MAX_EMPHASIS) - 0.1 * distance
        if len(squashed) >= _LONG_HEADLINE:
            score += 1.0
        # The <title> confirms a line that is most of its headline, and only near the article.
        confirms = (
            tag_headline and squashed in tag_headline and len(squashed) * 2 >= len(tag_headline)
        )
        if confirms and not generic_tag and distance <= _CONFIRM_DISTANCE:
            score += 3.0
        label_above = distance + 1 < len(lines) and _FIELD_LABEL.match(lines[distance + 1][0])
        if label_above:
            score += 3.0
        if score > best_score:
            best, best_score = line, score
    return ShownHeadline(best, best_score, title_distance)


def _generic(title: str, text: str) -> bool:
    """A <title> that names the site or section rather than the story: very short, or in
    Latin letters only above Chinese/Japanese/Korean text ("显示", "网易娱乐", "China-Pub blog")."""
    squashed = _squash(title)
    if len(squashed) <= _MAX_GENERIC:
        return True
    sample = text[:2000]
    cjk_text = len(_CJK_CHAR.findall(sample)) > len(sample) * 0.3
    return cjk_text and not _CJK_CHAR.search(title)


def choose_title(
    hint: str | None,
    declared: str | None,
    meta: PageMetadata,
    site_name: str | None,
    tree: etree._Element | None = None,
    text: str = "",
) -> str | None:
    """The headline, by the order in the module docstring; None for a page without any."""
    hinted = clean_title(hint)
    if len(hinted) >= _MIN_HEADLINE:
        return hinted
    og_title = meta.meta.get("og:title") or meta.meta.get("twitter:title") or ""
    confirmations = [title for title in (meta.title_tag, og_title, declared or "") if title]
    heading = _confirmed_heading(meta.headings, confirmations)
    if heading:
        return clean_title(heading)
    declared = clean_title(declared)
    if len(declared) >= _MIN_HEADLINE:
        return declared
    if len(og_title) >= _MIN_HEADLINE:
        return clean_title(strip_site_name(og_title, site_name))
    tag = clean_title(strip_site_name(meta.title_tag, site_name)) if meta.title_tag else ""
    shown = headline_above_article(tree, text, meta.title_tag) if tree is not None else None
    # A <title> shown only far above the article is the site's banner, not this story's.
    banner = shown is not None and (shown.title_distance or 0) > _CONFIRM_DISTANCE
    if tag and not banner and not _generic(tag, text):
        if shown and shown.line and _squash(shown.line) != _squash(tag):
            line = _squash(shown.line)
            if line in _squash(tag) and len(line) * 2 >= len(_squash(tag)):
                return clean_title(shown.line)  # the page shows the <title> minus the site name
        return tag
    if shown and shown.line and shown.score >= _WEAK_SCORE:
        return clean_title(shown.line)
    if tag:
        return tag
    return clean_title(meta.headings[0]) if meta.headings else None
