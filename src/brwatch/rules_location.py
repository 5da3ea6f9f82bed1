"""Where brwatch's bundled data is read: ``rules/`` (rights rules, topic vocabulary, publisher
registry) and the default sources file, ``crawler/sources.yaml``.

A source checkout or an editable install reads the repository's files; an installed wheel
reads the copies it installed under ``<prefix>/share/brwatch/`` (``data-files`` in
pyproject.toml), in the environment's prefix or, for ``pip install --user``, the user's.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
CHECKOUT_RULES = CHECKOUT / "rules"
CHECKOUT_SOURCES = CHECKOUT / "crawler" / "sources.yaml"
_INSTALLED = Path("share", "brwatch")


def rules_path(*parts: str) -> Path:
    """A file or folder of ``rules/``, wherever this installation keeps it."""
    for base in (CHECKOUT_RULES, *(Path(p) / _INSTALLED / "rules" for p in _prefixes())):
        if base.is_dir():
            return base.joinpath(*parts)
    return CHECKOUT_RULES.joinpath(*parts)  # missing everywhere: the error names the usual place


def bundled_sources_path() -> Path:
    """The sources file brwatch ships, wherever this installation keeps it."""
    for path in (CHECKOUT_SOURCES, *(Path(p) / _INSTALLED / "sources.yaml" for p in _prefixes())):
        if path.is_file():
            return path
    return CHECKOUT_SOURCES


def _prefixes() -> list[str]:
    return [sys.prefix, site.getuserbase()]
