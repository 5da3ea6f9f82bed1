"""score_topic: how much an article is about the Belt and Road, from the vocabulary's terms."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from brwatch.extract import ExtractedArticle
from brwatch.relevance.vocabulary import (
    FIELDS,
    Vocabulary,
    default_vocabulary,
    normalise_text,
)


@dataclass(frozen=True, slots=True)
class TopicScore:
    """`score` in 0..1 (0.5 at the relevance threshold); `matches`: matched phrases as written."""

    score: float
    relevant: bool
    matches: list[str] = field(default_factory=list)


def _blank(text: str, spans: list[tuple[str, int, int]]) -> str:
    """The text with the negative matches replaced by spaces (offsets kept)."""
    if not spans:
        return text
    chars = list(text)
    for _, start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def score_text(
    title: str, text: str, description: str = "", vocabulary: Vocabulary | None = None
) -> TopicScore:
    """Score raw fields; score_topic is this for an ExtractedArticle."""
    vocabulary = vocabulary or default_vocabulary()
    fields = dict(zip(FIELDS, (title, description, text), strict=True))
    fields = {name: normalise_text(value or "") for name, value in fields.items()}
    suppressed: set[str] = set()
    for name, value in fields.items():
        negatives = vocabulary.negative.find(value)
        for negative in vocabulary.negatives:
            if any(owner == negative.id for owner, _, _ in negatives):
                suppressed.update(negative.suppresses)
        fields[name] = _blank(value, negatives)
    has_context = any(vocabulary.context.find(value) for value in fields.values())

    points = 0.0
    matched: dict[str, None] = {}
    for name, value in fields.items():
        hits = vocabulary.insensitive.find(value) + vocabulary.sensitive.find(value)
        counts: Counter[str] = Counter()
        for term_id, start, end in sorted(hits, key=lambda hit: hit[1]):
            term = vocabulary.terms[term_id]
            if term_id in suppressed or (term.needs_context and not has_context):
                continue
            counts[term_id] += 1
            matched.setdefault(value[start:end], None)
        for term_id, count in counts.items():
            weight = vocabulary.terms[term_id].weight
            points += weight * vocabulary.fields[name] * min(count, vocabulary.repeat_cap)
    score = points / (points + vocabulary.threshold)
    return TopicScore(round(score, 4), points >= vocabulary.threshold, list(matched))


def score_topic(article: ExtractedArticle, vocabulary: Vocabulary | None = None) -> TopicScore:
    """Belt-and-Road relevance of an extracted article (title, description and main text)."""
    return score_text(
        article.title or "", article.text or "", article.description or "", vocabulary
    )


def example_problems(vocabulary: Vocabulary | None = None) -> list[str]:
    """Every example or counterexample of the vocabulary that scores the wrong way, described
    (for `brwatch rules test` and the test suite); empty when all pass."""
    vocabulary = vocabulary or default_vocabulary()
    problems = []
    for example in vocabulary.examples:
        result = score_text(example.title, example.text, vocabulary=vocabulary)
        kind = "example" if example.relevant else "counterexample"
        if result.relevant is not example.relevant:
            problems.append(
                f"{vocabulary.path}: {example.id}: {kind} scored {result.score}"
                f" (relevant={result.relevant}), matches {result.matches}"
            )
        missing = [phrase for phrase in example.matches if phrase not in result.matches]
        if missing:
            problems.append(
                f"{vocabulary.path}: {example.id}: expected matches {missing} not found"
            )
    return problems
