"""The crawl's page workers share the stage data their fork server loaded (issue 17 item 2).

The rules, the topic vocabulary and the language model (75 MB of arrays) used to be loaded by
each worker on its first page: one copy per worker. The fork server now loads them once
(brwatch_crawler.forkserver_load) and every worker forked from it starts with them in place.
"""

from __future__ import annotations

from types import SimpleNamespace

import brwatch_crawler.pipelines as pipelines
import pytest

from brwatch.extract import language
from brwatch.relevance import vocabulary
from brwatch.rights import rules

pytestmark = pytest.mark.slow


def cached_sizes() -> dict[str, int]:
    """In the worker: how many values each stage-data cache holds."""
    return {
        "language model": language._identifier.cache_info().currsize,
        "rights rules": rules.default_ruleset.cache_info().currsize,
        "topic vocabulary": vocabulary.default_vocabulary.cache_info().currsize,
    }


def test_a_worker_starts_with_the_rules_vocabulary_and_language_model_loaded() -> None:
    pool = pipelines.BrwatchPipeline._new_pool(SimpleNamespace(workers=1))  # type: ignore[arg-type]
    try:
        # The worker's first task: no page has reached it.
        sizes = pool.submit(cached_sizes).result(timeout=120)
    finally:
        pool.shutdown()
    assert sizes == {"language model": 1, "rights rules": 1, "topic vocabulary": 1}
