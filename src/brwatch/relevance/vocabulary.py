"""The topic vocabulary (rules/topics.yaml): loaded, validated and compiled into matchers.

A bad file is refused with the file, the entry and the reason (TopicsError). Phrases are literal
text, never user regular expressions: each becomes an escaped alternative in one RE2 alternation
per kind, so matching is one linear-time scan per field, whatever the YAML holds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import re2
import yaml

from brwatch.errors import BrwatchError
from brwatch.rules_location import rules_path

DEFAULT_TOPICS_FILE = rules_path("topics.yaml")
FIELDS = ("title", "description", "text")
# Scripts whose words are space-separated and uninflected by clitics: match whole words there.
_WORD_SCRIPT = re.compile(r"[A-Za-z0-9\u00c0-\u024f\u0400-\u04ff]")
# A space or hyphen in a phrase matches any run of spaces, hyphens, dashes or no-break spaces.
_GAP = r"[\s\x{00a0}\-\x{2010}-\x{2015}]+"
_GAP_CHARS = re.compile(r"[\s\u00a0\-\u2010-\u2015]+")


class TopicsError(BrwatchError, ValueError):
    """The vocabulary file is unusable; the message names the file, the entry and the reason."""


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    lang: str
    weight: float
    phrases: tuple[str, ...]
    needs_context: bool = False
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Negative:
    id: str
    phrases: tuple[str, ...]
    suppresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    title: str
    text: str
    relevant: bool
    matches: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Phrase:
    owner: str
    word_start: bool  # must not follow a letter or digit
    word_end: bool  # must not precede a letter or digit


@dataclass(slots=True)
class PhraseMatcher:
    """One RE2 alternation over many phrases (linear time, no backtracking); each match is
    traced back to its entry through the phrase's normalised form."""

    pattern: Any  # re2 pattern, or None when there are no phrases
    phrases: dict[str, _Phrase]
    case_sensitive: bool

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(entry id, start, end) for every non-overlapping match, left to right."""
        if self.pattern is None or not text:
            return []
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.span()
            phrase = self.phrases.get(_key(match.group(), self.case_sensitive))
            if phrase is None:
                continue
            # RE2 has no look-around: whole-word checks happen here, on the few matches.
            if phrase.word_start and start > 0 and _is_word_char(text[start - 1]):
                continue
            if phrase.word_end and end < len(text) and _is_word_char(text[end]):
                continue
            found.append((phrase.owner, start, end))
        return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _key(text: str, case_sensitive: bool) -> str:
    joined = " ".join(_GAP_CHARS.split(text.strip()))
    return joined if case_sensitive else joined.casefold()


@dataclass(slots=True)
class Vocabulary:
    path: Path
    threshold: float
    repeat_cap: int
    fields: dict[str, float]
    terms: dict[str, Term]
    negatives: list[Negative]
    examples: list[Example]
    insensitive: PhraseMatcher = field(init=False)
    sensitive: PhraseMatcher = field(init=False)
    negative: PhraseMatcher = field(init=False)
    context: PhraseMatcher = field(init=False)
    context_phrases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        terms = self.terms.values()
        self.insensitive = _matcher(
            [(t.id, p) for t in terms if not t.case_sensitive for p in t.phrases], False
        )
        self.sensitive = _matcher(
            [(t.id, p) for t in terms if t.case_sensitive for p in t.phrases], True
        )
        self.negative = _matcher([(n.id, p) for n in self.negatives for p in n.phrases], False)
        self.context = _matcher([("context", p) for p in self.context_phrases], False)


def normalise_text(text: str) -> str:
    """NFKC (full-width letters, compatibility forms) so "ＢＲＩ" and "BRI" match alike."""
    return unicodedata.normalize("NFKC", text)


def _phrase_pattern(phrase: str) -> str:
    return _GAP.join(re.escape(word) for word in _GAP_CHARS.split(phrase.strip()))


def _matcher(entries: list[tuple[str, str]], case_sensitive: bool) -> PhraseMatcher:
    if not entries:
        return PhraseMatcher(None, {}, case_sensitive)
    # Longer phrases first, so "Belt and Road Forum" wins over "Belt and Road" at one position.
    entries = sorted({(owner, normalise_text(p)) for owner, p in entries}, key=lambda e: -len(e[1]))
    phrases: dict[str, _Phrase] = {}
    for owner, phrase in entries:
        # Whole words only where the script has word boundaries the way Latin does.
        boundaries = _Phrase(
            owner, bool(_WORD_SCRIPT.match(phrase[0])), bool(_WORD_SCRIPT.match(phrase[-1]))
        )
        phrases.setdefault(_key(phrase, case_sensitive), boundaries)
    alternation = "|".join(_phrase_pattern(phrase) for _, phrase in entries)
    flags = "" if case_sensitive else "(?i)"
    return PhraseMatcher(re2.compile(f"{flags}(?:{alternation})"), phrases, case_sensitive)


def _fail(path: Path, entry: str, reason: str) -> TopicsError:
    return TopicsError(f"{path}: {entry}: {reason}")


def _phrases(path: Path, entry: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, entry, "'phrases' must be a non-empty list of strings")
    phrases = []
    for phrase in raw:
        if not isinstance(phrase, str) or not phrase.strip():
            raise _fail(path, entry, f"phrase {phrase!r} is not a non-empty string")
        phrases.append(phrase.strip())
    return tuple(phrases)


def _entry_id(path: Path, kind: str, index: int, raw: Any, seen: set[str]) -> str:
    if not isinstance(raw, dict):
        raise _fail(path, f"{kind}[{index}]", "must be a mapping")
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not entry_id:
        raise _fail(path, f"{kind}[{index}]", "missing 'id'")
    if entry_id in seen:
        raise _fail(path, entry_id, "duplicate id")
    seen.add(entry_id)
    return entry_id


def _number(path: Path, entry: str, name: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
        raise _fail(path, entry, f"'{name}' must be a number above {minimum:g}, got {value!r}")
    return float(value)


def _parse_terms(path: Path, raw: Any, seen: set[str]) -> dict[str, Term]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "terms", "must be a non-empty list")
    terms: dict[str, Term] = {}
    for index, item in enumerate(raw):
        term_id = _entry_id(path, "terms", index, item, seen)
        unknown = set(item) - {"id", "lang", "weight", "phrases", "needs_context", "case_sensitive"}
        if unknown:
            raise _fail(path, term_id, f"unknown keys {sorted(unknown)}")
        lang = item.get("lang")
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2}", lang):
            raise _fail(path, term_id, f"'lang' must be an ISO 639-1 code, got {lang!r}")
        terms[term_id] = Term(
            id=term_id,
            lang=lang,
            weight=_number(path, term_id, "weight", item.get("weight")),
            phrases=_phrases(path, term_id, item.get("phrases")),
            needs_context=bool(item.get("needs_context", False)),
            case_sensitive=bool(item.get("case_sensitive", False)),
        )
    return terms


def _parse_negatives(
    path: Path, raw: Any, terms: dict[str, Term], seen: set[str]
) -> list[Negative]:
    negatives = []
    for index, item in enumerate(raw or []):
        negative_id = _entry_id(path, "negatives", index, item, seen)
        suppresses = tuple(item.get("suppresses") or ())
        missing = [term for term in suppresses if term not in terms]
        if missing:
            raise _fail(path, negative_id, f"'suppresses' names unknown terms {missing}")
        negatives.append(
            Negative(negative_id, _phrases(path, negative_id, item.get("phrases")), suppresses)
        )
    return negatives


def _parse_examples(path: Path, raw: Any, relevant: bool, seen: set[str]) -> list[Example]:
    kind = "examples" if relevant else "counterexamples"
    examples = []
    for index, item in enumerate(raw or []):
        example_id = _entry_id(path, kind, index, item, seen)
        title, text = item.get("title", ""), item.get("text", "")
        if not isinstance(title, str) or not isinstance(text, str) or not (title or text):
            raise _fail(path, example_id, "needs a 'title' and/or 'text' string")
        matches = tuple(item.get("matches") or ())
        examples.append(Example(example_id, title, text, relevant, matches))
    return examples


def parse_vocabulary(data: Any, path: Path) -> Vocabulary:
    """Validate the YAML document and build the vocabulary; TopicsError names what is wrong."""
    if not isinstance(data, dict):
        raise _fail(path, "document", "must be a mapping with 'terms'")
    seen: set[str] = set()
    fields = data.get("fields") or {}
    if not isinstance(fields, dict) or set(fields) - set(FIELDS):
        raise _fail(path, "fields", f"must map some of {list(FIELDS)} to factors")
    factors = {name: _number(path, "fields", name, fields.get(name, 1.0)) for name in FIELDS}
    terms = _parse_terms(path, data.get("terms"), seen)
    context = data.get("context") or []
    if not isinstance(context, list) or not all(isinstance(p, str) and p for p in context):
        raise _fail(path, "context", "must be a list of phrases")
    repeat_cap = data.get("repeat_cap", 3)
    if not isinstance(repeat_cap, int) or repeat_cap < 1:
        raise _fail(path, "repeat_cap", f"must be a positive integer, got {repeat_cap!r}")
    return Vocabulary(
        path=path,
        threshold=_number(path, "threshold", "threshold", data.get("threshold")),
        repeat_cap=repeat_cap,
        fields=factors,
        terms=terms,
        negatives=_parse_negatives(path, data.get("negatives"), terms, seen),
        examples=_parse_examples(path, data.get("examples"), True, seen)
        + _parse_examples(path, data.get("counterexamples"), False, seen),
        context_phrases=tuple(dict.fromkeys(context)),
    )


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read and validate a topics file (default: the bundled rules/topics.yaml)."""
    path = Path(path) if path else DEFAULT_TOPICS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TopicsError(f"{path}: cannot read: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise TopicsError(f"{path}: not valid YAML: {error}") from error
    return parse_vocabulary(data, path)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return load_vocabulary(DEFAULT_TOPICS_FILE)
