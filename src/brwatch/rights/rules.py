"""Rights rules: YAML files in ``rules/rights/``, validated on load and compiled for RE2.

A rule file holds one rule, a list of rules, or several YAML documents. Every problem in every
file is reported at once, each naming its file, rule id and reason (``RulesError``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from brwatch.errors import BrwatchError
from brwatch.rules_location import rules_path
from brwatch.settings import CoreSettings

# Bump when the engine's reading of rules changes, so stored verdicts are re-checked.
ENGINE_VERSION = "1"
DEFAULT_RULES_DIR = rules_path("rights")
TEXT_SCOPES: tuple[Scope, ...] = ("body", "tail", "footer", "meta", "jsonld", "feed")
# Between two CJK characters a page may put spaces ("版 权 所 有"), full-width or not.
CJK_GAP = r"[ \t\x{3000}\x{a0}]{0,3}"

Status = Literal[
    "prohibited", "permission_required", "attribution_required", "open_license", "public_domain"
]
Scope = Literal["body", "tail", "footer", "meta", "jsonld", "link", "header", "feed"]
Obligation = Literal[
    "credit", "link_to_original", "credit_origin", "keep_notice", "no_derivatives",
    "non_commercial", "share_alike", "no_full_copy", "no_bulk_copy", "no_tdm", "no_archive",
    "no_snippet", "paywalled",
]  # fmt: skip
Capture = Literal["credit", "origin", "license"]
OBLIGATIONS: tuple[str, ...] = get_args(Obligation)
# Earlier names of obligations, still read from rule files and stored verdicts.
OBLIGATION_ALIASES = {"link": "link_to_original", "no_modification": "no_derivatives"}


def current_obligations(names: Iterable[str]) -> list[str]:
    """Obligation names as they are called today (stored verdicts may use earlier names)."""
    return list(dict.fromkeys(OBLIGATION_ALIASES.get(name, name) for name in names))


class RulesError(BrwatchError, ValueError):
    """One or more rule files are invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid rights rules:\n  " + "\n  ".join(problems))
        self.problems = problems


class Example(BaseModel):
    """A text the rule must match, and what the engine must conclude from it alone."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, description="the notice as it appears on a page")
    scope: Scope = Field("footer", description="where on the page the text is placed")
    status: Status | None = Field(None, description="expected verdict status (default: the rule's)")
    credit: str | None = Field(None, description="expected credited rights holder")
    origin: str | None = Field(None, description="expected origin publisher")
    license: str | None = Field(None, description="expected SPDX id")
    obligations: list[Obligation] = Field(
        default_factory=list, description="obligations expected at least"
    )

    @field_validator("obligations", mode="before")
    @classmethod
    def _current_obligation_names(cls, values: Any) -> Any:
        return current_obligations(values) if isinstance(values, list) else values


class Counterexample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, description="a text this rule must not fire on")
    scope: Scope = Field("body", description="where on the page the text is placed")


class Rule(BaseModel):
    """One rights rule. Field descriptions are the documentation legal and editors read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,80}$", description="stable identifier")
    title: str = Field(min_length=3, description="what the rule recognises, in plain words")
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes, or 'any'")
    kind: Literal["notice", "term", "origin", "license", "negative", "frame", "cue"] = Field(
        "notice",
        description="notice: a rights statement; term: a condition that adds obligations "
        "(keep the notice, do not edit) whatever the status; origin: names the source publisher; "
        "license: names an open licence (mapped to SPDX); negative: text that only looks like a "
        "notice and cancels overlapping findings; frame: words that make a sentence in a long "
        "body paragraph speak of the page itself ('this article', '本文'), so the notices in "
        "that sentence count; cue: rights vocabulary, for sentences that read like a notice "
        "but match no rule (kept as unmatched evidence)",
    )
    status: Status | None = Field(None, description="the rights status a notice indicates")
    obligations: list[Obligation] = Field(default_factory=list)
    requires_link: bool = Field(False, description="the terms demand a link to the original")
    captures: list[Capture] = Field(
        default_factory=list, description="named groups the patterns capture"
    )
    scopes: list[Scope] = Field(default_factory=lambda: list(TEXT_SCOPES))
    patterns: list[str] = Field(min_length=1, description="RE2 patterns, case-insensitive")
    confidence: float = Field(0.9, ge=0, le=1)
    priority: int = Field(0, description="wins over overlapping findings of lower priority")
    cancels: Literal["span", "sentence", "line"] = Field(
        "span",
        description="negative rules: cancel findings overlapping the match, in its sentence, or "
        "on its line",
    )
    concept: Literal["rights", "ban", "credit"] | None = Field(
        None,
        description="cue rules: what the words say in an unmatched sentence (rights vocabulary; "
        "a ban or a need for permission; a demand for credit or a link), for the inferred finding",
    )
    in_prose: bool = Field(
        False,
        description="also fires inside long body paragraphs (news stories), not only notice lines",
    )
    references: list[str] = Field(default_factory=list)
    examples: list[Example] = Field(min_length=1)
    counterexamples: list[Counterexample] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("examples", "counterexamples", mode="before")
    @classmethod
    def _texts_as_mappings(cls, values: Any) -> Any:
        """A bare string is shorthand for ``{text: …}``."""
        return [{"text": v} if isinstance(v, str) else v for v in values or []]

    @field_validator("obligations", mode="before")
    @classmethod
    def _current_obligation_names(cls, values: Any) -> Any:
        return current_obligations(values) if isinstance(values, list) else values

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.kind == "notice" and self.status is None:
            raise ValueError("a notice rule needs a status")
        if self.kind == "term" and not (self.obligations or self.requires_link):
            raise ValueError("a term rule needs obligations or requires_link")
        if self.concept is not None and self.kind != "cue":
            raise ValueError("only cue rules name a concept")
        if self.kind != "notice" and self.status is not None:
            raise ValueError(f"a {self.kind} rule takes no status")
        groups: set[str] = set()
        for pattern in self.patterns:
            groups |= set(_compile_or_raise(pattern).groupindex)
        missing = [c for c in self.captures if c not in groups]
        if missing:
            raise ValueError(f"no pattern has the capture group(s) {missing}")
        return self


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 64 << 20
    options.log_errors = False
    return options


def _compile_or_raise(pattern: str) -> Any:
    try:
        return re2.compile(spread_cjk(pattern), _options())
    except re2.error as exc:
        raise ValueError(f"pattern {pattern!r} is not valid RE2: {exc}") from None


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _tokens(pattern: str) -> Iterator[str]:
    """Split an RE2 pattern into atoms: escapes, character classes, groups' brackets, chars."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            end = i + 2
            if pattern[i + 1 : i + 2] in ("x", "p", "P") and pattern[end : end + 1] == "{":
                end = pattern.index("}", end) + 1
            yield pattern[i:end]
            i = end
        elif char == "[":
            end = i + 1
            if pattern[end : end + 1] == "^":
                end += 1
            if pattern[end : end + 1] == "]":
                end += 1
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            yield pattern[i : end + 1]
            i = end + 1
        elif char == "{" and i and (pattern[i + 1 : i + 2].isdigit()):
            end = pattern.index("}", i) + 1
            yield pattern[i:end]
            i = end
        else:
            yield char
            i += 1


def spread_cjk(pattern: str) -> str:
    """Let CJK characters in a pattern also match when a page spaces them out ("版 权 所 有")."""
    if not any(_is_cjk(c) for c in pattern):
        return pattern
    tokens = list(_tokens(pattern))
    out: list[str] = []
    for index, token in enumerate(tokens):
        out.append(token)
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if following[:1] in ("?", "*", "+") or following.startswith("{"):
            continue  # the gap goes after the quantifier
        current = token if token[:1] not in ("?", "*", "+", "{") else tokens[index - 1]
        if any(_is_cjk(c) for c in current) and following and following not in ("|", ")"):
            out.append(CJK_GAP)
    return "".join(out)


# Writing systems of rule languages, to split the prefilter (see _compile).
_CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_NON_LATIN_LANGUAGES = frozenset(
    {"ru", "uk", "kk", "be", "bg", "sr", "mk", "ar", "fa", "ur", "he", "hi", "bn", "el", "th", "my"}
)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    regexes: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The loaded rules, compiled once, with RE2 filters over every pattern."""

    rules: tuple[CompiledRule, ...]
    version: str
    # (re2.Filter, pattern index of each of its patterns), one per writing system.
    prefilters: tuple[tuple[Any, tuple[int, ...]], ...]
    # pattern index -> (compiled rule, regex)
    by_index: tuple[tuple[CompiledRule, Any], ...]
    files: tuple[Path, ...]
    by_id: dict[str, Rule] = field(default_factory=dict)
    # The cue rules' patterns as one regex, run apart over the closing part of a page only
    # (unmatched.py): one scan finds every rights word.
    cues: Any = None
    # concept -> regex of the cue rules that name it, run over unmatched sentences only.
    concepts: dict[str, Any] = field(default_factory=dict)

    def get(self, rule_id: str) -> Rule:
        return self.by_id[rule_id]

    def potential(self, data: bytes) -> list[int]:
        """Indexes of the patterns that may match ``data`` (their literal atoms all occur)."""
        found: list[int] = []
        for prefilter, indexes in self.prefilters:
            found += (indexes[i] for i in prefilter.Match(data, potential=True) or ())
        return sorted(found)


def _documents(path: Path) -> Iterator[Any]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if isinstance(document, list):
            yield from document
        elif isinstance(document, dict) and isinstance(document.get("rules"), list):
            yield from document["rules"]
        elif document is not None:
            yield document


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'rule'}: {error['msg']}"
        for error in exc.errors()
    )


def rule_files(directory: Path | None = None) -> list[Path]:
    directory = directory or Path(CoreSettings.load().rights_rules or DEFAULT_RULES_DIR)
    if not directory.is_dir():
        raise RulesError([f"{directory}: rights rules directory not found"])
    return sorted(directory.glob("*.yaml"))


def load_ruleset(directory: Path | str | None = None) -> Ruleset:
    """Load, validate and compile every ``*.yaml`` rule file; RulesError lists all problems."""
    files = rule_files(Path(directory) if directory else None)
    problems: list[str] = []
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        try:
            entries = list(_documents(path))
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not valid YAML: {exc}")
            continue
        for position, entry in enumerate(entries, 1):
            label = entry.get("id") if isinstance(entry, dict) else None
            where = f"{path}: rule {label or f'#{position}'}"
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a mapping, got {type(entry).__name__}")
                continue
            try:
                rule = Rule.model_validate(entry)
            except ValidationError as exc:
                problems.append(f"{where}: {_validation_reason(exc)}")
                continue
            if rule.id in seen:
                problems.append(f"{where}: duplicate id, already defined in {seen[rule.id]}")
                continue
            seen[rule.id] = path
            rules.append(rule)
    if problems:
        raise RulesError(problems)
    if not rules:
        raise RulesError([f"{files[0].parent if files else 'rules directory'}: no rules found"])
    return _compile(rules, digest.hexdigest()[:12], tuple(files))


def _writing_system(rule: Rule) -> str:
    languages = set(rule.languages)
    if languages & _CJK_LANGUAGES:
        return "cjk"
    return "other" if languages <= _NON_LATIN_LANGUAGES else "latin"


def _compile(rules: list[Rule], version: str, files: tuple[Path, ...]) -> Ruleset:
    # FilteredRE2 looks for each pattern's literal atoms first and runs only patterns whose atoms
    # occur: one pass over the page instead of one per pattern, and far lighter than an RE2 set.
    # One filter per writing system: the python binding gives each filter's atom matcher a small
    # DFA cache, which all the atoms together overflow on every page (scans ran ~7x slower).
    groups: dict[str, tuple[Any, list[int]]] = {}
    by_index: list[tuple[CompiledRule, Any]] = []
    compiled_rules = []
    cues: list[str] = []
    concepts: dict[str, list[str]] = {}
    for rule in rules:
        regexes = tuple(re2.compile(spread_cjk(p), _options()) for p in rule.patterns)
        compiled = CompiledRule(rule, regexes)
        compiled_rules.append(compiled)
        if rule.kind == "cue":
            cues += (f"(?:{spread_cjk(pattern)})" for pattern in rule.patterns)
            if rule.concept:
                concepts.setdefault(rule.concept, []).extend(rule.patterns)
            continue
        prefilter, indexes = groups.setdefault(_writing_system(rule), (re2.Filter(), []))
        for pattern, regex in zip(rule.patterns, regexes, strict=True):
            prefilter.Add(spread_cjk(pattern), _options())
            indexes.append(len(by_index))
            by_index.append((compiled, regex))
    for prefilter, _ in groups.values():
        prefilter.Compile()
    prefilters = tuple((prefilter, tuple(indexes)) for prefilter, indexes in groups.values())
    by_id = {rule.id: rule for rule in rules}
    cue_regex = re2.compile("|".join(cues), _options()) if cues else None
    concept_regexes = {
        name: re2.compile("|".join(f"(?:{spread_cjk(p)})" for p in patterns), _options())
        for name, patterns in concepts.items()
    }
    return Ruleset(
        tuple(compiled_rules),
        version,
        prefilters,
        tuple(by_index),
        files,
        by_id,
        cue_regex,
        concept_regexes,
    )


@cache
def default_ruleset() -> Ruleset:
    return load_ruleset()


def ruleset_version() -> str:
    """Short stable id of the rules in force: a hash of the rule files and the engine version."""
    return default_ruleset().version
