"""The reports page for legal: choose a period and sources, read the report, download any format."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from brwatch.accounts import Capability
from brwatch.storage.models import Article
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.integrations import REPORT_FORMATS, IntegrationInputError, report_bytes
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
REPORT_FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
Legal = Annotated[SignedInUser, Depends(Access(Capability.REPORTS))]


def _period(since: date | None, until: date | None) -> tuple[datetime, datetime]:
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=30)
    if since > until:
        raise WebError(400, "bad_period", N_("The period cannot end before it starts."))
    return datetime.combine(since, time.min, tzinfo=UTC), datetime.combine(
        until, time.max, tzinfo=UTC
    )


@router.get("/reports", include_in_schema=False)
def reports_page(
    request: Request,
    user: Legal,
    since: date | None = None,
    until: date | None = None,
    source: Annotated[list[str] | None, Query()] = None,
) -> Response:
    start, end = _period(since, until)
    with request.app.state.db.session() as session:
        sources = list(session.scalars(select(Article.source).distinct().order_by(Article.source)))
    return render(
        request,
        "reports.html",
        {
            "since": start.date(),
            "until": end.date(),
            "chosen": source or [],
            "sources": sources,
            "query": urlencode(
                {"since": start.date(), "until": end.date(), "source": source or []}, doseq=True
            ),
            "show": bool(since or until or source),
            "formats": list(REPORT_FORMATS),
        },
    )


def _report(
    request: Request, fmt: str, since: date | None, until: date | None, source: list[str] | None
) -> tuple[bytes, str]:
    start, end = _period(since, until)
    try:
        body = report_bytes(request.app.state.db, start, end, source or None, fmt)
    except IntegrationInputError as exc:
        raise WebError(400, "bad_report", str(exc)) from exc
    return body, f"brwatch-report-{start.date()}-{end.date()}.{fmt}"


@router.get("/reports/view", include_in_schema=False)
def report_view(
    request: Request,
    user: Legal,
    since: date | None = None,
    until: date | None = None,
    source: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """The HTML report alone, for the sandboxed frame on the reports page (own styles allowed)."""
    body, _ = _report(request, "html", since, until, source)
    return Response(
        body,
        media_type=REPORT_FORMATS["html"],
        headers={
            "Content-Security-Policy": REPORT_FRAME_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


@router.get("/reports/download", tags=["reports"])
def report_download(
    request: Request,
    user: Legal,
    format: Literal["html", "pdf", "csv", "json"] = "pdf",
    since: date | None = None,
    until: date | None = None,
    source: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """The rights report for the period and sources, in the chosen format, as a download."""
    body, name = _report(request, format, since, until, source)
    return Response(
        body,
        media_type=REPORT_FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
