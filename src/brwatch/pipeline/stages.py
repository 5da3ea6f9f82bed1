"""The stages a page goes through, and the check that they can all run.

Extraction, relevance and the rights engine are separate packages, imported here at one place.
A stage that cannot load is an error, never a reason to store pages without it: for a legal
tool, an article without a rights verdict is the worst failure. So a crawl calls
:func:`check_stages` before it fetches anything, and refuses to start, naming the file and the
reason, when a rule file, the topic vocabulary or a package is broken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brwatch.errors import BrwatchError
from brwatch.extract import extract_article
from brwatch.extract.language import load_identifier
from brwatch.relevance import score_topic
from brwatch.relevance.vocabulary import TopicsError, default_vocabulary
from brwatch.rights import RulesError, ruleset_version, verdict_for

Stage = Callable[..., Any]
# The modules a worker imports before its first page (brwatch_crawler.pipelines preloads them).
STAGE_MODULES = ("brwatch.extract", "brwatch.relevance", "brwatch.rights")


class StageError(BrwatchError, RuntimeError):
    """A stage cannot run; the message says which and why."""


def check_stages() -> None:
    """Load what every stage reads at first use (the rights rules, the topic vocabulary), or
    raise StageError naming what is broken."""
    try:
        ruleset_version()
    except RulesError as exc:
        raise StageError(f"the rights engine cannot load its rules: {exc}") from exc
    try:
        default_vocabulary()
    except TopicsError as exc:
        raise StageError(f"relevance cannot load its topic vocabulary: {exc}") from exc


def load_stage_data() -> None:
    """Load now what the stages otherwise load on their first page: the rights rules, the
    topic vocabulary and the language model. Processes forked afterwards (the crawl's page
    workers) share these pages instead of each building its own copy."""
    check_stages()
    load_identifier()


def stages() -> tuple[Stage, Stage, Stage]:
    """(extract_article, score_topic, verdict_for)."""
    return extract_article, score_topic, verdict_for


def ruleset() -> str:
    """The rights ruleset version stored beside each verdict."""
    return ruleset_version()
