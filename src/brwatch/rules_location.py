"""Where the data of ``rules/`` (rights rules, topic vocabulary, publisher registry) is read.

A source checkout or an editable install reads the repository's ``rules/``; an installed wheel
reads the copy it installed under ``<prefix>/share/brwatch/rules`` (``data-files`` in
pyproject.toml), in the environment's prefix or, for ``pip install --user``, the user's.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

CHECKOUT_RULES = Path(__file__).resolve().parents[2] / "rules"
_INSTALLED = Path("share", "brwatch", "rules")


def rules_path(*parts: str) -> Path:
    """A file or folder of ``rules/``, wherever this installation keeps it."""
    for base in (CHECKOUT_RULES, *(Path(p) / _INSTALLED for p in _prefixes())):
        if base.is_dir():
            return base.joinpath(*parts)
    return CHECKOUT_RULES.joinpath(*parts)  # missing everywhere: the error names the usual place


def _prefixes() -> list[str]:
    return [sys.prefix, site.getuserbase()]
