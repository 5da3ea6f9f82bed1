"""Page language as an ISO 639-1 code: declared values first, then the script of the text.

Declarations are often wrong in one direction only (a template says "en" on a Chinese page),
so a declaration is accepted when the text's script does not contradict it.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][A-Za-z0-9]+)*$")
# Three-letter or legacy codes seen on news sites, mapped to ISO 639-1.
_ALIASES = {"zho": "zh", "chi": "zh", "cn": "zh", "eng": "en", "rus": "ru", "ara": "ar", "iw": "he"}
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


def choose_language(declared: list[str | None], text: str) -> str | None:
    """The first declared language the text agrees with, else the text's script language."""
    script = script_language(text)
    for value in declared:
        code = normalise_lang(value)
        if code is None:
            continue
        if script is None or (script == "latin" and _latin_code(code)):
            return code
        if script != "latin" and code in _SCRIPT_FAMILY.get(script, {script}):
            return code
    return script if script not in (None, "latin") else None


def _latin_code(code: str) -> bool:
    return not any(code in family for family in _SCRIPT_FAMILY.values())
