"""The topic vocabulary (rules/topics.yaml): loaded, validated and compiled into matchers.

The file's shape is a pydantic model, like the rights rules'; a bad file is refused with the file,
the entry (its id) and the reason in the file's own terms (TopicsError). Phrases are literal
text, never user regular expressions: each becomes an escaped alternative in one RE2 alternation
per kind, so matching is one linear-time scan per field, whatever the YAML holds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import re2
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

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


# The file's shape, validated by pydantic; the messages say it in the file's own terms.
Phrases = Annotated[
    list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]],
    Field(min_length=1),
]
Positive = Annotated[float, Field(gt=0), Strict(False)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(min_length=1)]


class _TermEntry(_Entry):
    lang: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    weight: Positive
    phrases: Phrases
    needs_context: bool = False
    case_sensitive: bool = False


class _NegativeEntry(_Entry):
    phrases: Phrases
    suppresses: list[str] = []
    reason: str = ""  # why these phrases are not the initiative: for the file's readers


class _ExampleEntry(_Entry):
    title: str = ""
    text: str = ""
    matches: list[str] = []

    @model_validator(mode="after")
    def _has_words(self) -> _ExampleEntry:
        if not (self.title or self.text):
            raise ValueError("needs a 'title' and/or 'text' string")
        return self


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    threshold: Positive
    repeat_cap: Annotated[int, Field(ge=1)] = 3
    fields: dict[Literal["title", "description", "text"], Positive] = {}
    terms: Annotated[list[_TermEntry], Field(min_length=1)]
    context: list[Annotated[str, StringConstraints(min_length=1)]] = []
    negatives: list[_NegativeEntry] = []
    examples: list[_ExampleEntry] = []
    counterexamples: list[_ExampleEntry] = []

    @model_validator(mode="after")
    def _ids_and_references(self) -> _VocabularyFile:
        seen: set[str] = set()
        for entry in (*self.terms, *self.negatives, *self.examples, *self.counterexamples):
            if entry.id in seen:
                raise _EntryProblem(entry.id, "duplicate id")
            seen.add(entry.id)
        terms = {term.id for term in self.terms}
        for negative in self.negatives:
            if missing := [term for term in negative.suppresses if term not in terms]:
                raise _EntryProblem(negative.id, f"'suppresses' names unknown terms {missing}")
        return self


class _EntryProblem(ValueError):
    """A problem of one whole entry, found when the file is read as a whole."""

    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(f"{entry}: {reason}")


def _reason(field: str, error: Any) -> str:
    """One pydantic error as the file's author would say it."""
    kind, given = error["type"], error.get("input")
    if kind in ("float_parsing", "float_type", "greater_than", "missing") and field in (
        "weight",
        "threshold",
        *FIELDS,
    ):
        return f"'{field}' must be a number above 0, got {given!r}"
    if field == "phrases" or (kind == "string_too_short" and field != "id"):
        return "'phrases' must be a non-empty list of strings"
    if field == "lang":
        return f"'lang' must be an ISO 639-1 code, got {given!r}"
    if field == "id":
        return "missing 'id'"
    if kind == "int_parsing" or kind == "greater_than_equal":
        return f"'{field}' must be a positive integer, got {given!r}"
    return f"'{field}': {error['msg']}"


def _problem(data: Any, path: Path, exc: ValidationError) -> TopicsError:
    """The first error, placed at its entry's id (or its position when it has none)."""
    unknown: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "context":
            return _fail(path, "context", "must be a list of phrases")
        if loc in (("terms",), ("negatives",), ("examples",), ("counterexamples",)):
            return _fail(path, str(loc[0]), "must be a list of entries (terms: at least one)")
        if error["type"] == "value_error" and isinstance(error["ctx"].get("error"), _EntryProblem):
            entry, _, reason = str(error["ctx"]["error"]).partition(": ")
            return _fail(path, entry, reason)
        if len(loc) < 2 or not isinstance(loc[1], int):
            field = str(loc[0]) if loc else "document"
            if field == "fields":
                return _fail(path, "fields", f"must map some of {list(FIELDS)} to factors above 0")
            if field in ("threshold", "repeat_cap") or error["type"] != "extra_forbidden":
                return _fail(path, field, _reason(field, error))
            return _fail(path, field, "unknown top-level key")
        kind, index = str(loc[0]), loc[1]
        raw = data[kind][index] if isinstance(data.get(kind), list) else None
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        entry = entry_id if isinstance(entry_id, str) and entry_id else f"{kind}[{index}]"
        if raw is not None and not isinstance(raw, dict):
            return _fail(path, entry, "must be a mapping")
        field = str(loc[2]) if len(loc) > 2 else ""
        if error["type"] == "extra_forbidden":
            unknown.setdefault(entry, []).append(field)
            continue
        if not field:
            return _fail(path, entry, str(error["msg"]).removeprefix("Value error, "))
        return _fail(path, entry, _reason(field, error))
    entry, keys = next(iter(unknown.items()))
    return _fail(path, entry, f"unknown keys {sorted(keys)}")


def _example(entry: _ExampleEntry, relevant: bool) -> Example:
    return Example(entry.id, entry.title, entry.text, relevant, tuple(entry.matches))


def parse_vocabulary(data: Any, path: Path) -> Vocabulary:
    """Validate the YAML document and build the vocabulary; TopicsError names what is wrong."""
    if not isinstance(data, dict):
        raise _fail(path, "document", "must be a mapping with 'terms'")
    try:
        parsed = _VocabularyFile.model_validate(data)
    except ValidationError as exc:
        raise _problem(data, path, exc) from None
    factors: dict[str, float] = {name: factor for name, factor in parsed.fields.items()}
    terms = {
        t.id: Term(t.id, t.lang, t.weight, tuple(t.phrases), t.needs_context, t.case_sensitive)
        for t in parsed.terms
    }
    return Vocabulary(
        path=path,
        threshold=parsed.threshold,
        repeat_cap=parsed.repeat_cap,
        fields={name: factors.get(name, 1.0) for name in FIELDS},
        terms=terms,
        negatives=[Negative(n.id, tuple(n.phrases), tuple(n.suppresses)) for n in parsed.negatives],
        examples=[_example(e, True) for e in parsed.examples]
        + [_example(e, False) for e in parsed.counterexamples],
        context_phrases=tuple(dict.fromkeys(parsed.context)),
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
