"""Notifications in each user's language: a gettext catalog of their own (notify.po), compiled in
memory on first use like the web app's (no build step)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "notify"
LANGUAGES = ("en", "zh_CN")


@cache
def translations(locale: str | None) -> NullTranslations:
    po_path = LOCALES_DIR / str(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if locale not in LANGUAGES or not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where the digest is written."""
    return message
