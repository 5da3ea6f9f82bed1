"""The crawl cluster for admins: active scheduler, workers, queue, leases, per-host gates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from brwatch.accounts import Capability
from brwatch.cluster.status import ClusterStatus, cluster_status
from brwatch.settings import CoreSettings
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Operator = Annotated[SignedInUser, Depends(Access(Capability.OPERATIONS))]


def _status(request: Request) -> ClusterStatus:
    client = None
    # The Redis the workers share, if the web app should show the per-host gates too.
    if url := CoreSettings.load().redis_url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return cluster_status(request.app.state.db, client)


@router.get("/status", include_in_schema=False)
def status_page(request: Request, operator: Operator) -> Response:
    return render(request, "status.html", {"status": _status(request)})


@router.get("/api/status", tags=["status"])
def status_api(request: Request, operator: Operator) -> dict[str, Any]:
    return _status(request).as_json()
