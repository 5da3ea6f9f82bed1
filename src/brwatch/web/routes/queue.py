"""The review queue page, its JSON twin, and bulk decisions on a filtered selection."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brwatch.accounts import Capability
from brwatch.reuse.grants import list_grants
from brwatch.storage.models import Article
from brwatch.storage.states import DECISIONS, FLAGGED_LINKS, FLAGGED_STATUSES, REVIEW_STATES
from brwatch.web.decisions import STATE_LABELS, DecisionError, decide_many
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.integrations import source_flags
from brwatch.web.queue import QueueFilters, load_queue, matching_versions
from brwatch.web.routes._common import flash, queue_filters, queue_query_string
from brwatch.web.security import Access, SignedInUser
from brwatch.web.templating import render

router = APIRouter()
Filters = Annotated[QueueFilters, Depends(queue_filters)]
Decision = Literal[DECISIONS]  # type: ignore[valid-type]


def _row_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "url": row.url,
        "source": row.source,
        "lang": row.lang,
        "published": row.published,
        "fetched_at": row.fetched_at,
        # The reuse verdict (what applies to reusing it); the page's own verdict beside it.
        "rights_status": row.reuse_status,
        "own_rights_status": row.rights_status,
        "conflict": row.reuse_conflict,
        "unmatched": row.rights_unmatched,
        "attribution_link": row.attribution_link,
        "review": {"state": row.review_state, "version": row.review_version},
    }


@router.get("/queue", include_in_schema=False)
def queue_page(
    request: Request,
    user: Annotated[SignedInUser, Depends(Access(Capability.REVIEW))],
    filters: Filters,
) -> Response:
    settings = request.app.state.settings
    all_items = None
    with request.app.state.db.session() as session:
        page = load_queue(session, filters)
        grants = (
            list_grants(session, include_revoked=False, revoked_last=True)
            if user.can(Capability.DECIDE)
            else []
        )
        bulk_possible = not page.total_capped and 0 < page.total <= settings.bulk_limit
        if user.can(Capability.DECIDE) and bulk_possible:
            # "All matching" names exactly these items at these versions (bulk_decide).
            versions = matching_versions(session, filters, settings.bulk_limit)
            all_items = " ".join(f"{ident}:{version}" for ident, version in versions)
    return render(
        request,
        "queue.html",
        {
            "page": page,
            "all_items": all_items,
            "bulk_limit": settings.bulk_limit,
            "params": filters.params(),
            "query": queue_query_string(filters),
            "grants": grants,
            "source_flags": source_flags(request.app.state.db),
            "decisions": DECISIONS,
            "labels": STATE_LABELS,
            "flag_statuses": FLAGGED_STATUSES,
            "link_problems": FLAGGED_LINKS,
            "review_states": REVIEW_STATES,
        },
    )


@router.get("/api/queue", tags=["queue"])
def queue_api(
    request: Request,
    user: Annotated[SignedInUser, Depends(Access(Capability.REVIEW))],
    filters: Filters,
) -> dict[str, Any]:
    """Flagged articles matching the filters, one page of them, with counts per facet."""
    with request.app.state.db.session() as session:
        page = load_queue(session, filters)
    return {
        "total": page.total,
        # Dates or title words matched more than web.queue.COUNT_LIMIT items: "total" is that
        # limit, and "counts" are empty (not counted), see docs/web.md.
        "total_capped": page.total_capped,
        "counts_capped": page.counts_capped,
        "page": filters.page,
        "pages": page.pages,
        "per_page": filters.per_page,
        "counts": {
            "rights_status": page.by_status,
            "review_state": page.by_review,
            "attribution_link": page.by_link,
            "conflict": page.conflicts,
        },
        "items": [_row_dict(row) for row in page.rows],
    }


def _parse_selection(items: list[str]) -> dict[int, int | None]:
    """Rows arrive as "id:version": a row changed since it was listed is left alone."""
    selected: dict[int, int | None] = {}
    for item in items:
        ident, _, version = item.partition(":")
        try:
            selected[int(ident)] = int(version) if version else None
        except ValueError as exc:
            raise WebError(400, "bad_request", N_("The selection is not valid.")) from exc
    return selected


def _left_the_filters(
    session: Session, filters: QueueFilters, listed: dict[int, int | None]
) -> list[int]:
    """Listed items, unchanged since (same version), that no longer match the filters: their
    rights or attribution changed. Items decided meanwhile are decide_many's to report."""
    ids = list(listed)
    gone: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        versions = dict(
            session.execute(
                select(Article.id, Article.review_version).where(Article.id.in_(chunk))
            ).all()
        )
        matching = set(
            session.scalars(
                select(Article.id).where(Article.id.in_(chunk), *filters.clauses(session))
            )
        )
        gone += [
            i for i in chunk if i in versions and i not in matching and versions[i] == listed[i]
        ]
    return gone


def _item_list(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in sorted(ids)[:20])
    return shown + (" …" if len(ids) > 20 else "")


@router.post("/queue/bulk", include_in_schema=False)
def bulk_decide(
    request: Request,
    user: Annotated[SignedInUser, Depends(Access(Capability.DECIDE))],
    filters: Filters,
    state: Annotated[Decision, Form()],
    selection: Annotated[Literal["checked", "all"], Form()] = "checked",
    items: Annotated[list[str] | None, Form()] = None,
    all_items: Annotated[str | None, Form(max_length=64_000)] = None,
    note: Annotated[str, Form(max_length=4000)] = "",
    grant_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Decide on exactly the items the user saw, each at the version seen: the checked rows, or
    every row matching the filters as listed when the page was made (``all_items``). Anything
    changed since (decided by someone else, or no longer matching the filters) is left alone
    and reported by number."""
    settings = request.app.state.settings
    with request.app.state.db.session() as session:
        if selection == "all":
            if all_items is None:
                raise WebError(
                    409,
                    "selection_changed",
                    N_(
                        "The items matching these filters changed since the page was loaded. Review the list and try again."  # noqa: E501
                    ),
                )
            selected = _parse_selection(all_items.split())
        else:
            selected = _parse_selection(items or [])
        if not selected:
            raise WebError(400, "empty_selection", N_("No items were selected."))
        if len(selected) > settings.bulk_limit:
            raise WebError(
                400, "too_many", N_("Too many items for one bulk decision; narrow the filters.")
            )
        gone_from_filters: list[int] = []
        if selection == "all":
            gone_from_filters = _left_the_filters(session, filters, selected)
            selected = {i: v for i, v in selected.items() if i not in gone_from_filters}
        try:
            outcome = decide_many(
                session, selected, state, user=user.name, note=note, grant_id=grant_id
            )
        except DecisionError as exc:
            raise WebError(400, exc.code, exc.message, **exc.params) from exc
    flash(request, N_("%(count)s items decided."), count=len(outcome.decided))
    for ids, message in (
        (
            [c.article_id for c in outcome.conflicts],
            N_(
                "%(count)s items were changed by someone else meanwhile and were left as they are: %(items)s."  # noqa: E501
            ),
        ),
        (
            gone_from_filters,
            N_("%(count)s items no longer match the filters and were left as they are: %(items)s."),
        ),
        (
            list(outcome.refused),
            N_(
                "%(count)s items are not covered by the chosen grant and were left as they are: %(items)s."  # noqa: E501
            ),
        ),
        (outcome.missing, N_("%(count)s items no longer exist: %(items)s.")),
    ):
        if ids:
            flash(request, message, kind="warning", count=len(ids), items=_item_list(ids))
    return RedirectResponse(f"/queue?{queue_query_string(filters)}", status_code=303)
