"""The sources file: which sites to crawl, from which entry points, which links to follow, when.

`load_sources(path)` reads and validates a file (DESIGN.md "Sources file (contract)") and returns
`Source` models; a bad file raises `SourcesError` listing every problem with file, line, source and
field. `--sources` / $BRWATCH_SOURCES override the bundled `crawler/sources.yaml`.
"""

from brwatch.sources.loader import (
    ENV_VAR,
    SourcesError,
    default_sources_path,
    load_sources,
    resolve_sources_path,
)
from brwatch.sources.model import Source
from brwatch.sources.schedule import TriggerSpec, make_trigger, parse_schedule

__all__ = [
    "ENV_VAR",
    "Source",
    "SourcesError",
    "TriggerSpec",
    "default_sources_path",
    "load_sources",
    "make_trigger",
    "parse_schedule",
    "resolve_sources_path",
]
