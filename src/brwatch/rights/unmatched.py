"""Fail safe: sentences that read like a rights statement but that no rule matched.

A notice in a phrasing nobody wrote a rule for must not pass silently as `unknown`. A sentence
in the article's tail or the site footer that holds two different rights words (cue rules in
``rules/rights/cues.yaml``) and overlaps no finding, negative included, becomes an ``unmatched``
evidence item (status None): the article is flagged for review, and ``brwatch rules
unmatched`` counts such sentences across the database so a rule writer sees new phrasings.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from brwatch.rights.model import REVIEW_KINDS, Evidence
from brwatch.rights.page import PageText, scope_of
from brwatch.rights.rules import Ruleset

UNMATCHED_RULE = "unmatched"
# Longer than this, a "sentence" is a paragraph of prose the splitter could not cut.
MAX_UNMATCHED_SENTENCE = 400
MAX_UNMATCHED_PER_PAGE = 5
MIN_CUE_WORDS = 2
# Decides (MIN_DECIDING_CONFIDENCE is 0.5), but below every rule.
INFERRED_CONFIDENCE = 0.55
_LINK_WORDS = re.compile(
    r"(?i)\b(?:hyper)?link|\burl\b|enlace|\blien\b|verlink|ссылк|посилання|رابط|链接|鏈接|リンク|링크"
)
MAX_CUES = 100
# Without the article to place it, the closing zone is the last part of the page text.
_FOOTER_SHARE = 0.6
_TAIL_CHARS = 400
_LOOKUP_CHARS = 60
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|[。！？；]|\n")
_UNMATCHED_SCOPES = frozenset({"tail", "footer"})


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Character bounds of the sentence holding ``text[start:end]`` (cut at terminators and
    line breaks)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    first, last = line_start, line_end
    for found in _SENTENCE_END.finditer(text, line_start, line_end):
        if found.end() <= start:
            first = found.end()
        elif found.start() >= end:
            last = found.end()
            break
    while first < last and text[first].isspace():
        first += 1
    return first, last


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(span_start < end and start < span_end for span_start, span_end in spans)


def unmatched_findings(
    page: PageText,
    ruleset: Ruleset,
    extras: list[Evidence],
    candidates: list[Evidence],
    article_text: str | None,
) -> list[Evidence]:
    """Rights-like sentences in the tail or footer that no finding or negative covers."""
    zone = _closing_zone(page.text, article_text)
    covered = [(e.start, e.end) for e in candidates]
    covered += [(e.start, e.end) for e in extras if e.kind == "negative"]
    words: dict[tuple[int, int], set[str]] = {}
    for start, end in _cue_spans(ruleset, page.text, zone):
        bounds = sentence_bounds(page.text, start, end)
        words.setdefault(bounds, set()).add(page.text[start:end].casefold())
    sentences = [
        bounds
        for bounds, found in words.items()
        if len(found) >= MIN_CUE_WORDS
        and bounds[1] - bounds[0] <= MAX_UNMATCHED_SENTENCE
        and not _overlaps(covered, *bounds)
    ]
    if not sentences:
        return []
    unmatched: list[Evidence] = []
    nodes = page.nodes_at([start for start, _ in sentences])
    for (start, end), node in zip(sentences, nodes, strict=True):
        scope = scope_of(page, node, start, end, article_text)
        if scope in _UNMATCHED_SCOPES:
            sentence = page.text[start:end]
            unmatched.append(_evidence(sentence, scope, start, end))
            inferred = _inferred(ruleset, sentence, scope, start, end)
            if inferred is not None:
                unmatched.append(inferred)
        if len(unmatched) >= 2 * MAX_UNMATCHED_PER_PAGE:
            break
    return unmatched


def _inferred(ruleset: Ruleset, sentence: str, scope: str, start: int, end: int) -> Evidence | None:
    """A ban read from an unmatched rights sentence's words ("… without our consent", "未经…")
    when it also names what rights are about (reprinting, copyright, 转载…):
    an inferred prohibited finding, of low confidence (it decides only against nothing
    better, and the article stays flagged for review). Measured on the dev half, inferring
    credit demands or bare claims the same way restricted more hard negatives than it found
    notices, so those stay unmatched evidence only."""
    data = sentence.encode("utf-8", "surrogatepass")
    ban, rights = ruleset.concepts.get("ban"), ruleset.concepts.get("rights")
    if ban is None or not ban.search(data) or (rights is not None and not rights.search(data)):
        return None
    found = _evidence(sentence, scope, start, end)
    found.rule_id, found.kind, found.status = "inferred.prohibited", "inferred", "prohibited"
    found.confidence = INFERRED_CONFIDENCE
    credit = ruleset.concepts.get("credit")
    asks_credit = credit is not None and credit.search(data)
    found.requires_link = bool(asks_credit) and bool(_LINK_WORDS.search(sentence))
    return found


def _closing_zone(text: str, article_text: str | None) -> int:
    """Where the part of the page that may hold a tail or footer notice begins: the article's
    last characters when they can be found in the page text, else the last part of the page."""
    fallback = int(len(text) * _FOOTER_SHARE)
    if article_text:
        tail = article_text.rstrip()[-_TAIL_CHARS:]
        where = text.rfind(tail[:_LOOKUP_CHARS]) if tail else -1
        if where >= 0:
            return min(where, fallback)
    return fallback


def _cue_spans(ruleset: Ruleset, text: str, zone: int) -> list[tuple[int, int]]:
    """Character spans of the rights words from ``zone`` on (cue rules, run over that part
    alone: a page's rights words mostly sit in its footer, and scanning all of it for them
    would cost every page)."""
    if ruleset.cues is None or zone >= len(text):
        return []
    data = text[zone:].encode("utf-8", "surrogatepass")
    spans = [match.span() for match in islice(ruleset.cues.finditer(data), MAX_CUES)]
    if not spans:
        return []
    # Byte offsets into the zone -> character offsets into the text, one pass.
    chars: dict[int, int] = {}
    previous = position = 0
    for offset in sorted({o for span in spans for o in span}):
        position += len(data[previous:offset].decode("utf-8", "surrogatepass"))
        chars[offset] = zone + position
        previous = offset
    return [(chars[start], chars[end]) for start, end in spans]


def _evidence(text: str, scope: str, start: int, end: int) -> Evidence:
    return Evidence(
        rule_id=UNMATCHED_RULE,
        kind="unmatched",
        status=None,
        text=" ".join(text.split())[:300],
        scope=scope,
        start=start,
        end=end,
        confidence=0.0,
    )


def has_unmatched(rights: dict[str, Any] | None) -> bool:
    """Whether a stored verdict carries a rights-like sentence no rule matched."""
    evidence = (rights or {}).get("evidence") or []
    return any(item.get("kind") in REVIEW_KINDS for item in evidence)
