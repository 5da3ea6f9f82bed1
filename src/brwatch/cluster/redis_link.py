"""Reaching Redis: the soft, expiring state shared by workers (brwatch.cluster.gates)."""

from __future__ import annotations

import redis

from brwatch.cluster.locks import ClusterError


def connect_redis(url: str) -> redis.Redis:
    """A Redis client that answered a PING, or ClusterError: a Redis that does not answer at
    start is a configuration error, never a silent fallback."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ClusterError(f"Redis at {url} does not answer: {exc}") from exc
    return client
