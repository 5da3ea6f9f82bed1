"""Every rule tests itself: its examples must match, its counterexamples must not. And the
patterns that the prefilter cannot screen, which therefore run over every page, are named."""

from __future__ import annotations

from brwatch.rights.engine import verdict_for_text
from brwatch.rights.rules import Rule, Ruleset

# Kinds whose examples are tested by their patterns alone: they decide no verdict.
_PATTERN_ONLY_KINDS = ("negative", "frame", "cue")


def _matches(ruleset: Ruleset, rule: Rule, text: str) -> bool:
    compiled = next(c for c in ruleset.rules if c.rule.id == rule.id)
    return any(regex.search(text) for regex in compiled.regexes)


def rule_problems(ruleset: Ruleset, rule: Rule) -> list[str]:
    """What is wrong with one rule's examples, as readable lines (empty when all pass)."""
    problems: list[str] = []
    for example in rule.examples:
        label = f"example {example.text!r}"
        if rule.kind in _PATTERN_ONLY_KINDS:
            if not _matches(ruleset, rule, example.text):
                problems.append(f"{label}: the pattern does not match")
            continue
        verdict = verdict_for_text(example.text, example.scope, ruleset)
        if not any(e.rule_id == rule.id for e in verdict.evidence):
            problems.append(f"{label} ({example.scope}): no finding (got {verdict.status})")
            continue
        expected_status = example.status or rule.status
        if expected_status and verdict.status != expected_status:
            problems.append(f"{label}: status {verdict.status}, expected {expected_status}")
        for name in ("credit", "origin", "license"):
            wanted = getattr(example, name)
            if wanted is not None and getattr(verdict, name) != wanted:
                problems.append(f"{label}: {name} {getattr(verdict, name)!r}, expected {wanted!r}")
        missing = set(example.obligations) - set(verdict.obligations)
        if missing:
            problems.append(f"{label}: obligations lack {sorted(missing)}")
    for counter in rule.counterexamples:
        label = f"counterexample {counter.text!r}"
        if rule.kind in _PATTERN_ONLY_KINDS:
            if _matches(ruleset, rule, counter.text):
                problems.append(f"{label}: the pattern matches")
            continue
        verdict = verdict_for_text(counter.text, counter.scope, ruleset)
        if any(e.rule_id == rule.id for e in verdict.evidence):
            problems.append(f"{label} ({counter.scope}): the rule fires")
    return problems


def unscreened_patterns(ruleset: Ruleset) -> list[tuple[str, int]]:
    """(rule id, pattern number from 1) of the patterns the RE2 prefilter passes on every page:
    those with no literal of three bytes it could look for first ("©" alone is two). Each
    costs a scan of every page's text, so a rule writer should keep this list short."""
    found = []
    # Text without any literal passes exactly the patterns that have none.
    for index in ruleset.potential(b""):
        compiled, regex = ruleset.by_index[index]
        found.append((compiled.rule.id, compiled.regexes.index(regex) + 1))
    return found
