"""The sources file the demo crawls: the sample sites' entry points at their running addresses."""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

from brwatch.demo.server import RunningSite


def demo_sources_yaml(sites: Mapping[str, RunningSite]) -> str:
    """A sources file (DESIGN.md contract) for the running sample sites. Allow patterns are
    anchored to each site's base URL, so a link to another sample site is left to that site."""
    entries = []
    for name, site in sites.items():
        spec = site.spec
        entry: dict[str, object] = {"name": f"demo-{name}", "title": spec.title, "lang": spec.lang}
        for key in ("start_urls", "feeds", "sitemaps"):
            paths = getattr(spec, key)
            if paths:
                entry[key] = [site.url(path) for path in paths]
        base = "^" + re.escape(site.base_url)
        entry["allow"] = [base + pattern for pattern in spec.allow]
        entry["delay"] = 0  # our own loopback server: no need to be polite
        entries.append(entry)
    header = "# Written by `brwatch demo` for the sample sites it serves on loopback.\n"
    return header + yaml.safe_dump(
        {"sources": entries}, allow_unicode=True, sort_keys=False, width=1000
    )
