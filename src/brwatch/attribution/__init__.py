"""Publisher registry and attribution link checks."""

from brwatch.attribution.check import OUTCOMES, AttributionResult, check_attribution
from brwatch.attribution.registry import (
    Publisher,
    PublisherRegistry,
    RegistryError,
    load_publishers,
)
from brwatch.attribution.store import check_stored_article, recheck_attribution, store_attribution

__all__ = [
    "OUTCOMES",
    "AttributionResult",
    "Publisher",
    "PublisherRegistry",
    "RegistryError",
    "check_attribution",
    "check_stored_article",
    "load_publishers",
    "recheck_attribution",
    "store_attribution",
]
