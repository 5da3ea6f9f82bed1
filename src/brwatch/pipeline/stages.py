"""The stages a page goes through, looked up once per process.

Extraction, relevance and the rights engine are separate packages. Each is imported here, at
one place; a stage whose package is not importable is skipped with one warning, and its
fields stay empty (for rights: no verdict at all rather than a placeholder one).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

Stage = Callable[..., Any]
# (module, function) per stage, in pipeline order.
STAGES = (
    ("brwatch.extract", "extract_article"),
    ("brwatch.relevance", "score_topic"),
    ("brwatch.rights", "verdict_for"),
)


def _load(module_name: str, attribute: str) -> Stage | None:
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as exc:
        log.warning("pipeline stage %s.%s unavailable, skipped: %s", module_name, attribute, exc)
        return None


@cache
def stages() -> tuple[Stage | None, Stage | None, Stage | None]:
    """(extract_article, score_topic, verdict_for); None for a stage that cannot be loaded."""
    extract, score, judge = (_load(module, name) for module, name in STAGES)
    return extract, score, judge


@cache
def ruleset() -> str | None:
    """The rights ruleset version stored beside each verdict, or None without the engine."""
    version = _load("brwatch.rights", "ruleset_version")
    return str(version()) if version else None
