"""Page language as an ISO 639-1 code: declared values first, then the text itself.

Declarations are often wrong (a template says "en" on a Chinese, Zulu or Romanian page), so a
declaration is accepted when the text's script does not contradict it and, for Latin script,
when the text does not clearly say another language: its function words first (a dictionary
lookup per word, enough for the common languages), and where they cannot tell, py3langid's
language identifier (97 languages), whose guess counts only when it is confident.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][A-Za-z0-9]+)*$")
# Three-letter or legacy codes seen on news sites, mapped to ISO 639-1.
_ALIASES = {
    "zho": "zh",
    "chi": "zh",
    "cn": "zh",
    "eng": "en",
    "rus": "ru",
    "ara": "ar",
    "iw": "he",
    "in": "id",
    "ji": "yi",
}
# The commonest function words of Latin-script languages of our sources and partner countries:
# enough to tell them apart on an article's text, nothing like a general language identifier.
_FUNCTION_WORDS = {
    "en": "the and of that for with was are by from this have has which were would",
    "fr": "le la les des est une dans pour qui sur avec par pas sont cette aux du",
    "es": "el los las del que una por con para como más pero sus fue este esta entre",
    "pt": "os das dos que uma para com não por mais como foi pelo pela são também",
    "de": "der die das und ist nicht mit sich auf für dem den ein eine auch wird",
    "it": "il della che per una sono con non gli del nel alla anche più questo",
    "nl": "het een van en dat niet zijn voor met ook maar wordt bij aan deze",
    "pl": "się nie jest na że do od jak ale przez po są tym dla oraz",
    "id": "yang dan di ini dengan untuk dari dalam tidak akan pada juga itu ada",
    "tr": "ve bir için ile olarak çok daha gibi olan ama kadar değil sonra",
    "vi": "của và là các có được trong cho với này những không đã một",
    "sw": "na ya wa kwa za la katika ni kuwa hiyo huo wake",
    "ms": "yang dan di ini dengan untuk dari dalam tidak akan pada juga telah",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
# word -> the languages it is a function word of (one dictionary lookup per token).
_WORD_LANGS: dict[str, list[str]] = {}
for _lang, _words in _WORDS.items():
    for _word in _words:
        _WORD_LANGS.setdefault(_word, []).append(_lang)
_TOKEN = re.compile(r"[^\W\d_]+")
# A verdict needs this many function-word hits and this lead over the runner-up.
_MIN_HITS = 8
_MIN_LEAD = 2.0
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese even among kanji
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Any character of the scripts above: most pages have none, and need no per-script count.
_ANY_SCRIPT = re.compile("|".join(pattern.pattern for _, pattern in _SCRIPTS))
# Languages written in a script shared with others: a declaration decides among them.
_SCRIPT_FAMILY = {
    "zh": {"zh"},
    "ja": {"ja"},
    "ko": {"ko"},
    "ar": {"ar", "fa", "ur", "ps", "ug", "ku", "sd"},
    "ru": {"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg", "uz", "tt", "ba"},
    "el": {"el"},
    "he": {"he", "yi"},
    "th": {"th"},
    "hi": {"hi", "mr", "ne", "sa"},
}
_SAMPLE = 3000
# py3langid: the share of the text it reads, and the probability its guess needs to count
# (below it, short or mixed texts — menus, error pages — give near-random answers).
_IDENTIFIER_SAMPLE = 1000
_IDENTIFIER_CONFIDENCE = 0.9
# Languages whose function words overlap so much that a declaration decides between them.
_CLOSE = {"id": ("ms",), "ms": ("id",), "pt": ("gl",), "es": ("ca", "gl")}


def normalise_lang(value: str | None) -> str | None:
    """'zh-CN' -> 'zh', 'en_US' -> 'en', 'zho' -> 'zh'; None for anything unrecognisable."""
    if not value:
        return None
    match = _CODE.match(value.strip().split(",")[0].strip())
    if not match:
        return None
    code = match.group(1).lower()
    code = _ALIASES.get(code, code)
    return code if len(code) == 2 else None


def script_language(text: str) -> str | None:
    """The language a non-Latin script implies ('zh', 'ar', 'ru'…); 'latin' or None."""
    sample = text[:_SAMPLE]
    if not _ANY_SCRIPT.search(sample):
        return "latin" if _LATIN.search(sample) else None
    counts = {lang: len(pattern.findall(sample)) for lang, pattern in _SCRIPTS}
    latin = len(_LATIN.findall(sample))
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0 and latin == 0:
        return None
    if counts["ja"] and counts["ja"] * 10 >= counts["zh"]:
        return "ja"
    if counts[best] >= latin * 0.3:  # CJK characters carry far more per character than letters
        return best
    return "latin"


def latin_language(text: str) -> str | None:
    """The Latin-script language whose function words dominate the text, if one clearly does."""
    counts = dict.fromkeys(_WORDS, 0)
    for token, times in Counter(_TOKEN.findall(text[:_SAMPLE].lower())).items():
        for lang in _WORD_LANGS.get(token, ()):
            counts[lang] += times
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, hits), (_, runner_up) = ranked[0], ranked[1]
    if hits >= _MIN_HITS and hits >= runner_up * _MIN_LEAD:
        return best
    return None


@cache
def _identifier() -> Any:
    # Loaded on first need (under a second, once per process): most pages never need it.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def load_identifier() -> None:
    """Load py3langid's model now: a crawl's fork server loads it once (75 MB of arrays) and
    every worker forked from it shares that copy instead of loading its own."""
    _identifier()


def identified_language(text: str) -> str | None:
    """py3langid's language for the start of ``text``, when it is confident of it."""
    sample = text[:_IDENTIFIER_SAMPLE]
    if not sample.strip():
        return None
    language, probability = _identifier().classify(sample)
    return str(language) if probability >= _IDENTIFIER_CONFIDENCE else None


def choose_language(declared: list[str | None], text: str) -> str | None:
    """The first declared language the text agrees with, else the text's own language."""
    script = script_language(text)
    guessed = None
    if script == "latin":
        guessed = latin_language(text) or identified_language(text)
    for value in declared:
        code = normalise_lang(value)
        if code is None:
            continue
        if script is None:
            return code
        # A declared language the function words cannot recognise (fi, no, ro …) stands,
        # unless the identifier is sure of another one.
        undisputed = guessed is None or guessed == code or code not in _WORDS
        if script == "latin" and _latin_code(code) and undisputed:
            return code
        if script == "latin" and guessed and code in _CLOSE.get(guessed, ()):
            return code  # Malay vs Indonesian, Norwegian vs Danish: trust the page
        if script != "latin" and code in _SCRIPT_FAMILY.get(script, {script}):
            return code
    if script == "latin":
        return guessed
    return script


def _latin_code(code: str) -> bool:
    return not any(code in family for family in _SCRIPT_FAMILY.values())
