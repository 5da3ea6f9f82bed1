"""Text -> shingles that make sense in both Chinese and spaced languages.

Chinese (and Japanese) text has no spaces, so words are not available without a segmenter;
overlapping character n-grams of the text with punctuation and spaces removed capture the same
"shared phrases" signal. Spaced languages use overlapping word n-grams, which are far less
sensitive to one changed letter than character n-grams would be.
"""

from __future__ import annotations

import re
import unicodedata

CHAR_SHINGLE = 4  # characters per shingle in unspaced scripts
WORD_SHINGLE = 3  # words per shingle in spaced scripts
# Below this many shingles a text is too short to call anything a copy of it.
MIN_SHINGLES = 12
# Only the start of a text is fingerprinted: copies share their body from the first line, and
# hashing a 50,000-character page would cost twenty times the time budget of one article.
MAX_CHARS = 12_000

_UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def is_unspaced(text: str) -> bool:
    """True when at least a quarter of the letters are Han/kana characters."""
    sample = text[:5000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if not letters:
        return False
    return len(_UNSPACED_CHAR.findall(sample)) / letters >= 0.25


def shingles(text: str) -> set[str]:
    """The shingle set of a text: character 4-grams for Chinese/Japanese, word 3-grams otherwise."""
    normal = normalise((text or "")[:MAX_CHARS])
    if is_unspaced(normal):
        compact = _NOT_WORD.sub("", normal)
        n = CHAR_SHINGLE
        return {compact[i : i + n] for i in range(max(len(compact) - n + 1, 0))}
    words = _WORD.findall(normal)
    n = WORD_SHINGLE
    return {" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 0))}
