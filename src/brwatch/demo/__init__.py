"""`brwatch demo`: bundled sample sites served on loopback, crawled by the real pipeline offline.

`serve_demo_sites()` starts the sites (sites.yaml, files in sites/<name>/); `demo_sources_yaml()`
writes the sources file pointing at them; `summarize()` reads back what the crawl stored.
"""

from brwatch.demo.server import (
    DemoDataError,
    RunningSite,
    SiteSpec,
    load_site_specs,
    serve_demo_sites,
)
from brwatch.demo.sources import demo_sources_yaml

__all__ = [
    "DemoDataError",
    "RunningSite",
    "SiteSpec",
    "demo_sources_yaml",
    "load_site_specs",
    "serve_demo_sites",
]
