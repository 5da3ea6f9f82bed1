"""The safe fetcher: follows URLs from pages and users to public addresses only."""

from brwatch.fetch.fetcher import (
    FetchError,
    FetchRefused,
    SafeFetcher,
    SafeResponse,
    system_resolver,
)
from brwatch.fetch.policy import (
    ALLOWED_NETWORKS_ENV,
    NetworkPolicyError,
    allowed_networks_from_env,
    refusal_reason,
)

__all__ = [
    "ALLOWED_NETWORKS_ENV",
    "FetchError",
    "FetchRefused",
    "NetworkPolicyError",
    "SafeFetcher",
    "SafeResponse",
    "allowed_networks_from_env",
    "refusal_reason",
    "system_resolver",
]
