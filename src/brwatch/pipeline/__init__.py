"""From a fetched page to a stored article: `process_page` (pure CPU) then `store_batch`.

The crawler runs `process_page` in worker processes and `store_batch` in one writer thread;
library users call both directly.
"""

from brwatch.pipeline.process import ProcessedPage, process_page
from brwatch.pipeline.store import Visit, remember_visits, store_batch, store_processed
from brwatch.pipeline.urls import normalise_url, same_site

__all__ = [
    "ProcessedPage",
    "Visit",
    "normalise_url",
    "process_page",
    "remember_visits",
    "same_site",
    "store_batch",
    "store_processed",
]
