"""The headline a page shows above its article, for pages whose <title> does not say it.

Old Chinese portals put "网易娱乐", "显示" or a greeting in <title> and the real headline in a
bold, centred or class="title" cell just above the story. This finds where the article text
starts in the page, walks up from there and scores each line by its markup, its length, its
distance from the article and its agreement with the <title>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from brwatch.extract.dates import find_dateline
from brwatch.extract.metadata import clean_space
from brwatch.extract.visible import VISIBLE_PIECES, VisiblePieces

MIN_HEADLINE = 4
_MAX_HEADLINE = 120
# Lines above an article that are not its headline: bylines, datelines, sources, page tools.
_NOT_HEADLINE = re.compile(
    r"^(?:作者|来源|來源|发布|發布|时间|時間|日期|记者|編輯|编辑|责任编辑|字体|当前位置|您现在的位置|"
    r"首页|返回|打印|关闭|分享|评论|发表评论|我要评论|我来说两句|相关|推荐|热点|"
    r"by\b|source\b|posted\b|published\b|updated\b|comments?\b|related\b)",
    re.IGNORECASE,
)
# Subtitles ("——当代中国的精神危机") and field labels ("作者：") are not headlines.
_NOT_HEADLINE_SHAPE = re.compile(r"^[—－\-]|[:：]$")
_BYLINE_WORDS = re.compile(r"来源|來源|作者|记者|http|www\.|source|by\s", re.IGNORECASE)
# A field label on the line before the headline (forums, government notices).
_FIELD_LABEL = re.compile(r"^(?:主\s*题|标\s*题|題\s*目|题\s*目|subject|title)\s*[:：]\s*$", re.I)
_TITLE_MARK = re.compile(r"title|headline|heading|subject|biaoti|\bbt\b|bt_|_bt|\btit\b", re.I)
_LETTERS = re.compile(r"[^\W\d_]")
_SENTENCE = re.compile(r"[。，！？；]|[,.;!?](?:\s|$)")
# Long sentences that are site notices, not the article's first paragraph.
_NOTICE = re.compile(
    r"版权|著作权|转载|本站|本网|免责|copyright|all rights reserved|域名|cookie", re.IGNORECASE
)
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")
# Scoring: lines considered above the article, the cap on markup points, the length that earns
# a point, how near the article the <title> still confirms a line (in lines), how long a
# confirmed line must be, and the most characters a generic site-name <title> has.
_LOOKBACK = 30
_MAX_EMPHASIS = 3.5
_LONG_HEADLINE = 8
CONFIRM_DISTANCE = 15
_MIN_CONFIRMED = 6
_MAX_GENERIC = 5
_LARGE_FONT = 3
# A banner is among the first lines of the page.
_BANNER_LINES = 10


def squash(text: str) -> str:
    return "".join(text.split())  # str.split() splits on exactly what \s matches


def _large_font(node: etree._Element) -> bool:
    if node.tag != "font":
        return False
    size = (node.get("size") or "").strip()
    return size.startswith("+") or (size.isdigit() and int(size) >= _LARGE_FONT)


def _is_prose(line: str, length: int) -> bool:
    """A sentence of running text, not a navigation item."""
    return len(squash(line)) >= length and bool(_SENTENCE.search(line))


def _article_start(cells: list[str]) -> str:
    """The first long sentence that is not a site notice ("本站所有文章…", "Copyright …")."""
    for length in (50, 20):
        for cell in cells:
            if _is_prose(cell, length) and not _NOTICE.search(cell):
                return cell
    return ""


def _lines_above_article(
    tree: etree._Element, text: str, visible: VisiblePieces | None = None
) -> list[tuple[str, etree._Element]]:
    """The visible text pieces just above where the article text starts, nearest first."""
    # Anchor on the first real paragraph: extractors often keep the headline and byline as the
    # first lines of the text, and those are exactly the candidates wanted here.
    # Extractors render layout tables as "| cell | cell |" rows: look at cells.
    lines = [cell for line in text.splitlines() for cell in line.split("|")]
    first_line = _article_start(lines)
    anchor = squash(first_line)[:12]
    if not anchor:
        return []
    # Text nodes under <body> always have an element above them (a tail's owner is its
    # element's parent, <body> at the highest), so only empty pieces are left out.
    pieces = [
        (piece, squashed)
        for piece in (visible() if visible is not None else VISIBLE_PIECES(tree))
        if (squashed := squash(piece))
    ]
    # Inline markup splits a paragraph into pieces, so search the joined text.
    start = "".join(squashed for _, squashed in pieces).find(anchor)
    if start < 0:
        return []  # the article start was not found: no reliable "above"
    above: list[tuple[str, etree._Element]] = []
    offset = 0
    for piece, squashed in pieces:
        offset += len(squashed)
        if offset > start:
            break
        owner = piece.getparent()
        if piece.is_tail and owner is not None:
            owner = owner.getparent()
        if owner is not None:
            above.append((clean_space(piece), owner))
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
        if not seen_bold and (tag in ("b", "strong", "big") or _large_font(node)):
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
    whether the <title>'s headline is shown only as a banner (at the top of the page, far
    above the article)."""

    line: str | None
    score: float
    title_is_banner: bool


def headline_above_article(
    tree: etree._Element, text: str, tag_headline: str, visible: VisiblePieces | None = None
) -> ShownHeadline:
    """Score each line above the article start (nearest first) by markup, length, distance,
    agreement with `tag_headline` (the <title> without the site name) and a "主题：" label
    before it; keep the best."""
    lines = _lines_above_article(tree, text, visible)
    tag_headline = squash(tag_headline)
    generic_tag = bool(tag_headline) and generic_title(tag_headline, text)
    shown_at = [at for at, (line, _) in enumerate(lines) if squash(line) == tag_headline]
    # Nearest-first list: the last indexes are the top of the page.
    title_is_banner = bool(tag_headline and shown_at) and all(
        at > CONFIRM_DISTANCE and len(lines) - at <= _BANNER_LINES for at in shown_at
    )
    best, best_score = None, float("-inf")
    for distance, (line, element) in enumerate(lines[:_LOOKBACK]):
        squashed = squash(line)
        if not MIN_HEADLINE <= len(squashed) <= _MAX_HEADLINE or _NOT_HEADLINE.match(line):
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
        if confirms and not generic_tag and distance <= CONFIRM_DISTANCE:
            score += 3.0
        label_above = distance + 1 < len(lines) and _FIELD_LABEL.match(lines[distance + 1][0])
        if label_above:
            score += 3.0
        if score > best_score:
            best, best_score = line, score
    return ShownHeadline(best, best_score, title_is_banner)


def generic_title(title: str, text: str) -> bool:
    """A <title> that names the site or section rather than the story: very short, or in
    Latin letters only above Chinese/Japanese/Korean text ("显示", "网易娱乐", "China-Pub blog")."""
    squashed = squash(title)
    if len(squashed) <= _MAX_GENERIC:
        return True
    sample = text[:2000]
    cjk_text = len(CJK_CHAR.findall(sample)) > len(sample) * 0.3
    return cjk_text and not CJK_CHAR.search(title)
