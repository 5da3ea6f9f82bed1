"""Notifications in each user's language: a gettext catalog of their own (notify.po), compiled in
memory on first use like the web app's (brwatch.catalogs)."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations

from brwatch.catalogs import compiled_catalog

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "notify"
LANGUAGES = ("en", "zh_CN")


def translations(locale: str | None) -> NullTranslations:
    if locale not in LANGUAGES:
        return NullTranslations()
    return compiled_catalog(LOCALES_DIR, str(locale), DOMAIN)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where the digest is written."""
    return message
