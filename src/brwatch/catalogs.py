"""gettext catalogs read from their .po files and compiled in memory on first use, so there is
no build step and no .mo file to forget (the web app's and the notifications' catalogs)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations


@cache
def compiled_catalog(locales_dir: Path, locale: str, domain: str) -> NullTranslations:
    """The catalog of `domain` in `locale` (NullTranslations, i.e. English, when there is none)."""
    po_path = locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)
