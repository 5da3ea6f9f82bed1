"""`/metrics`: who may read it, and the small app `brwatch metrics --listen` serves.

With BRWATCH_METRICS_TOKEN set, a request must carry ``Authorization: Bearer <token>`` (401
otherwise). Without it, only requests from loopback are answered: a request that came through
a proxy (Forwarded / X-Forwarded-For) is not taken as local, since a proxy on the same machine
would make the whole world look like 127.0.0.1.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _from_loopback(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(request: Request, token: str | None) -> Response | None:
    """The answer to a request that may not read the metrics, or None when it may."""
    if token:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), token):
            return None
        return PlainTextResponse(
            "metrics need the bearer token (BRWATCH_METRICS_TOKEN)\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="brwatch metrics"'},
        )
    if _from_loopback(request):
        return None
    return PlainTextResponse(
        "metrics are answered on loopback only; set BRWATCH_METRICS_TOKEN to scrape from "
        "another host\n",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="brwatch metrics"'},
    )


def metrics_endpoint(
    registry: CollectorRegistry, token: str | None
) -> Callable[[Request], Response]:
    """A synchronous endpoint (Starlette runs it in its thread pool: the queries block)."""

    def metrics(request: Request) -> Response:
        refused = refusal(request, token)
        if refused is not None:
            return refused
        try:
            body = generate_latest(registry)
        except SQLAlchemyError as exc:
            log.error("metrics: database unavailable: %s", exc)
            return PlainTextResponse(
                "metrics unavailable: the database cannot be read\n", status_code=503
            )
        # The classic text format: what Prometheus 2 (Debian's) and every scraper read.
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics


def metrics_app(registry: CollectorRegistry, token: str | None) -> Starlette:
    """The app of `brwatch metrics --listen`: /metrics and nothing else."""
    return Starlette(routes=[Route("/metrics", metrics_endpoint(registry, token))])
