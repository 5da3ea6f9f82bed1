"""Prometheus metrics read from the database at scrape time (`/metrics`, `brwatch metrics`).

- `build_registry(db, sources_option)`: a registry holding brwatch's collector.
- `metrics_endpoint(registry, token)`: the guarded Starlette endpoint (bearer token or loopback).
- `metrics_app(registry, token)`: a Starlette app serving only /metrics.
- `metrics_token()`: BRWATCH_METRICS_TOKEN, or None.
"""

from brwatch.metrics.collector import build_registry, metrics_token
from brwatch.metrics.endpoint import metrics_app, metrics_endpoint

__all__ = ["build_registry", "metrics_app", "metrics_endpoint", "metrics_token"]
