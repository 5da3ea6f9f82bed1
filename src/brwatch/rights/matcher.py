"""Run the rules over one text: an RE2 filter finds which patterns occur, then only those run.

Both steps are linear in the text (RE2 never backtracks), and the findings per pattern are
capped, so a hostile page costs bounded time and memory.
"""

from __future__ import annotations

from typing import Any

import re2

from brwatch.rights.licenses import obligations_for_spdx, spdx_from_name, status_for_spdx
from brwatch.rights.model import Evidence
from brwatch.rights.rules import CompiledRule, Ruleset

# A body line (paragraph) this short is a notice of its own wherever it sits. In a longer one
# a notice is told from prose about copyright by its sentence: set off in brackets (an editor's
# note), or speaking of the page itself ("this article", "本文", frame rules). Rules marked
# ``in_prose`` fire in any sentence.
MAX_NOTICE_LINE = 320
MAX_MATCHES_PER_PATTERN = 8
MAX_EVIDENCE_TEXT = 300
MAX_NAME = 80
# Trimmed off captured names: punctuation, brackets and spaces of every width.
_NAME_STRIP = (
    " \t\r\n\u3000\xa0.,;:!?·•|/\\-–—_()[]{}<>«»\"'“”‘’「」『』【】（）《》〈〉，。：；、！？"
)


# Lead-ins a captured holder name often drags along: "Copyright © 2004-2024", "所有内容为".
_NAME_LEAD = re2.compile(
    r"(?i)^(?:(?:©|\(c\)|copyright|版权所有|版權所有|(?:本站|本网站?|所有)?内容(?:均)?(?:为|歸|归)|"
    r"\d{4}(?:\s*[-–—~]\s*\d{4})?|[\s,.:;@-])\s*)+"
)
_LICENCE_VERSION = re2.compile(r"\b[1-4]\.[05]\b")
_NAME_TAIL = re2.compile(
    r"(?i)(?:\s*(?:版权所有|版權所有|all\s+rights.*|inc\.?$|官网|官網|官方网站|官方網站|网站|網站"
    r"|(?:'s\s+)?(?:official\s+)?(?:website|web\s+site)))+$"
)


def clean_name(value: str | None) -> str | None:
    """A captured credit or origin name without lead-ins, years and punctuation around it."""
    if not value:
        return None
    value = " ".join(value.split())
    value = _NAME_LEAD.sub("", value)
    for claim in ("版权所有", "版權所有"):
        value = value.split(claim, 1)[0] or value
    value = _NAME_TAIL.sub("", value)[:MAX_NAME].strip(_NAME_STRIP)
    return value if len(value) >= 2 else None


def _line_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    return line_start, len(data) if line_end < 0 else line_end


def _decode(value: bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if value is not None else None


def _finding(compiled: CompiledRule, match: Any, scope: str) -> Evidence:
    """A finding with byte offsets into the matched UTF-8 text (converted later)."""
    rule = compiled.rule
    groups = {k: _decode(v) for k, v in match.groupdict().items()} if rule.captures else {}
    whole = _decode(match.group(0)) or ""
    status: str | None = rule.status
    license_id = None
    obligations: tuple[str, ...] = tuple(rule.obligations)
    if rule.kind == "license":
        named = groups.get("license") or whole
        license_id = spdx_from_name(named)
        status = status_for_spdx(license_id) if license_id else None
        obligations += obligations_for_spdx(license_id) if license_id else ()
        if license_id is None and _LICENCE_VERSION.search(named):
            # "Creative Commons 2.5": an open licence whose elements the page does not name
            status, obligations = "open_license", (*obligations, "credit")
    start, end = match.span()
    return Evidence(
        rule_id=rule.id,
        kind=rule.kind if rule.kind in ("origin", "negative", "term") else "notice",
        status=status,
        text=" ".join(whole.split())[:MAX_EVIDENCE_TEXT],
        scope=scope,
        start=start,
        end=end,
        confidence=rule.confidence,
        credit=clean_name(groups.get("credit")),
        origin=clean_name(groups.get("origin")),
        license=license_id,
        requires_link=rule.requires_link,
        obligations=obligations,
        priority=rule.priority,
    )


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.start < b.end and b.start < a.end


def _to_char_offsets(data: bytes, findings: list[Evidence]) -> None:
    """Byte offsets -> character offsets, in one pass over the text whatever the count."""
    wanted = sorted({offset for f in findings for offset in (f.start, f.end)})
    chars: dict[int, int] = {}
    previous = position = 0
    for offset in wanted:
        position += len(data[previous:offset].decode("utf-8", "surrogatepass"))
        chars[offset] = position
        previous = offset
    for finding in findings:
        finding.start, finding.end = chars[finding.start], chars[finding.end]


def find_notices(
    ruleset: Ruleset,
    text: str,
    scope: str,
    base: int = 0,
    *,
    any_scope: bool = False,
    extras: list[Evidence] | None = None,
) -> list[Evidence]:
    """Findings of every rule in ``text`` placed in ``scope``; offsets are shifted by ``base``.

    ``any_scope`` runs every rule without scope limits: the first pass over a whole page, whose
    hits are then placed and checked again in their real scope. ``extras``, when given, receives
    the negative matches too (for the unmatched-sentence check).
    """
    # Encoded once: every RE2 call on a str would encode the whole text again.
    data = text.encode("utf-8", "surrogatepass")
    # Atoms only: the patterns whose literal parts all occur. Each then runs once, in finditer
    # (letting the filter confirm them first would scan the text twice).
    hits = ruleset.potential(data) if data else None
    if not hits:
        return []
    findings: list[Evidence] = []
    negatives: list[tuple[Evidence, tuple[int, int] | None]] = []
    frames: list[tuple[int, int]] = []
    prose_checked: list[Evidence] = []
    for index in hits:
        compiled, regex = ruleset.by_index[index]
        rule = compiled.rule
        if scope not in rule.scopes and (not any_scope or rule.kind in ("negative", "frame")):
            # A scope-limited negative waits for the second pass, when the scope is known.
            continue
        for count, match in enumerate(regex.finditer(data)):
            if count >= MAX_MATCHES_PER_PATTERN:
                break
            start, end = match.span()
            if start == end:
                continue
            if rule.kind == "frame":
                frames.append((start, end))
                continue
            line = _line_bounds(data, start, end)
            if rule.kind == "negative":
                cancels = {
                    "line": line,
                    "sentence": _sentence_bounds(data, line, start, end),
                }.get(rule.cancels)
                negatives.append((_finding(compiled, match, scope), cancels))
                continue
            finding = _finding(compiled, match, scope)
            if rule.kind == "license" and finding.status is None:
                continue  # words around "Creative Commons" that name no licence
            if not any_scope and scope == "body" and not rule.in_prose:
                prose_checked.append(finding)
            findings.append(finding)
    if prose_checked:
        prose = {id(f) for f in prose_checked if not _reads_as_notice(data, f.start, f.end, frames)}
        findings = [f for f in findings if id(f) not in prose]
    findings = [f for f in findings if not any(_cancelled(f, neg, line) for neg, line in negatives)]
    # Overlapping findings: the higher-priority rule speaks (a conditional notice over the
    # prohibition its wording contains); two patterns of one rule on the same words are one.
    kept: list[Evidence] = []
    for finding in findings:
        if any(_outranks(o, finding) for o in findings):
            continue
        same = next(
            (k for k in kept if k.rule_id == finding.rule_id and _overlaps(k, finding)), None
        )
        if same is None:
            kept.append(finding)
        elif (finding.credit or finding.origin) and not (same.credit or same.origin):
            kept[kept.index(same)] = finding  # the pattern that names someone says more
    if extras is not None:
        kept_count = len(kept)
        kept += [negative for negative, _ in negatives]
    _to_char_offsets(data, kept)
    for finding in kept:
        finding.start += base
        finding.end += base
    if extras is not None:
        extras += kept[kept_count:]
        del kept[kept_count:]
    return kept


# Where a sentence ends: ASCII terminators before a space, CJK ones anywhere, a line break.
_SENTENCE_END = re2.compile(r"[.!?;](?:\s|$)|[。！？；]|\n")
_OPENERS = (b"(", "（".encode(), b"[", "【".encode(), "〔".encode())
_CLOSERS = (b")", "）".encode(), b"]", "】".encode(), "〕".encode())


def _sentence_bounds(data: bytes, line: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """Byte bounds of the sentence (or sentences, for a match that spans several) holding
    ``data[start:end]`` within its line."""
    first, last = line
    for found in _SENTENCE_END.finditer(data, line[0], line[1]):
        stop = found.end()
        if stop <= start:
            first = stop
        elif found.start() >= end:
            last = found.end()
            break
    return first, last


def _in_brackets(data: bytes, line: tuple[int, int], start: int, end: int) -> bool:
    """Whether the match sits inside a bracketed aside of its line: "(This article is from …)",
    "（本文…）", "[Editor's note: …]"."""
    before = data[line[0] : start]
    opened = max(before.rfind(opener) for opener in _OPENERS)
    if opened < 0 or any(closer in before[opened:] for closer in _CLOSERS):
        return False
    return any(closer in data[end : line[1]] for closer in _CLOSERS)


def _reads_as_notice(data: bytes, start: int, end: int, frames: list[tuple[int, int]]) -> bool:
    """A body finding is a notice when its paragraph is short, or its sentence is set off in
    brackets or speaks of the page itself; otherwise it is prose that mentions copyright."""
    line = _line_bounds(data, start, end)
    if line[1] - line[0] <= MAX_NOTICE_LINE or (
        len(data[line[0] : line[1]].decode("utf-8", "replace")) <= MAX_NOTICE_LINE
    ):
        return True
    if _in_brackets(data, line, start, end):
        return True
    first, last = _sentence_bounds(data, line, start, end)
    return any(first <= frame_start and frame_end <= last for frame_start, frame_end in frames)


def _outranks(other: Evidence, finding: Evidence) -> bool:
    """A higher-priority finding that says something else about the same words silences it."""
    return (
        other.priority > finding.priority
        and other.status != finding.status
        # Only a status is silenced: an origin, a term or a condition stands beside any status.
        and finding.status is not None
        and _overlaps(other, finding)
    )


def _cancelled(finding: Evidence, negative: Evidence, line: tuple[int, int] | None) -> bool:
    if line is not None:
        return line[0] <= finding.start < line[1] or line[0] < finding.end <= line[1]
    return _overlaps(finding, negative)
