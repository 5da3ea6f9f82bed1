"""Interface languages: gettext catalogs shipped as .po files, compiled in memory on first use.

Shipping the .po (not a compiled .mo) means no build step for users or packagers; Babel turns
each catalog into a translations object once per process (brwatch.catalogs).
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from babel.support import NullTranslations

from brwatch.catalogs import compiled_catalog

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
# Shown in the language picker, each in its own language.
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT_LOCALE = "en"

_current: ContextVar[NullTranslations] = ContextVar("brwatch_translations")


def translations_for(locale: str) -> NullTranslations:
    if locale not in LANGUAGES:
        return NullTranslations()
    return compiled_catalog(LOCALES_DIR, locale, DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """The interface language for a visitor not logged in, from the browser's Accept-Language."""
    choices = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        choices.append((weight, tag.strip().lower()))
    for _, tag in sorted(choices, key=lambda c: -c[0]):
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def activate(locale: str | None) -> None:
    """Use this language for the rest of the current request (thread or task)."""
    _current.set(translations_for(locale or DEFAULT_LOCALE))


def gettext(message: str) -> str:
    return _current.get(translations_for(DEFAULT_LOCALE)).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(translations_for(DEFAULT_LOCALE)).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown (in templates)."""
    return message
