"""Evidence of a verdict shown where it was found: each finding with the text around it.

Evidence offsets point into the text of the evidence's scope. Only the article body's text is
stored (`Article.text`), so body evidence is placed by its offsets when they still match, and
any other evidence is found by searching for its matched text; what cannot be placed is shown
on its own, labelled with its scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

CONTEXT_CHARS = 160
# Kinds that are notices in the text or origin credits; the rest are machine-readable signals.
TEXT_KINDS = frozenset({"notice", "origin"})


@dataclass(frozen=True)
class PlacedEvidence:
    item: dict[str, Any]
    before: str
    match: str
    after: str
    placed: bool  # False: the matched text was not found in the stored page text


def _locate(text: str, item: dict[str, Any]) -> tuple[int, int] | None:
    matched = str(item.get("text") or "")
    start, end = item.get("start"), item.get("end")
    offsets_fit = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    if item.get("scope") == "body" and offsets_fit and (not matched or text[start:end] == matched):
        return cast(int, start), cast(int, end)  # offsets_fit: both are ints
    if matched:
        found = text.find(matched)
        if found >= 0:
            return found, found + len(matched)
    return None


def place_evidence(text: str | None, evidence: list[dict[str, Any]]) -> list[PlacedEvidence]:
    text = text or ""
    placed: list[PlacedEvidence] = []
    for item in evidence:
        if not isinstance(item, dict):
            continue
        span = _locate(text, item)
        if span is None:
            placed.append(PlacedEvidence(item, "", str(item.get("text") or ""), "", False))
            continue
        start, end = span
        before = text[max(0, start - CONTEXT_CHARS) : start]
        after = text[end : end + CONTEXT_CHARS]
        placed.append(PlacedEvidence(item, before, text[start:end], after, True))
    return placed


def highlighted_segments(
    text: str | None, evidence: list[dict[str, Any]]
) -> list[tuple[str, int | None]]:
    """The whole text cut into (segment, evidence index or None) for marking in the template."""
    text = text or ""
    spans = sorted(
        (span[0], span[1], index)
        for index, item in enumerate(evidence)
        if isinstance(item, dict) and (span := _locate(text, item))
    )
    segments: list[tuple[str, int | None]] = []
    cursor = 0
    for start, end, index in spans:
        if start < cursor:  # overlapping findings: the earlier one is already marked
            continue
        if start > cursor:
            segments.append((text[cursor:start], None))
        segments.append((text[start:end], index))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


def split_signals(
    evidence: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(text findings, machine-readable signals)."""
    items = [e for e in evidence if isinstance(e, dict)]
    return (
        [e for e in items if e.get("kind") in TEXT_KINDS],
        [e for e in items if e.get("kind") not in TEXT_KINDS],
    )
