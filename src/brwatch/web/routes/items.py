"""One item: its page (verdict, evidence, snapshot, audit trail), decisions on it, its JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brwatch.accounts import Capability
from brwatch.reuse.grants import list_grants
from brwatch.storage.models import Article
from brwatch.web.decisions import (
    DECISIONS,
    STATE_LABELS,
    DecisionConflict,
    DecisionError,
    ItemMissing,
    decide,
)
from brwatch.web.errors import WebError
from brwatch.web.i18n import N_
from brwatch.web.item_view import ItemView, item_dict, load_item
from brwatch.web.queue import QueueFilters, neighbours
from brwatch.web.routes._common import flash, queue_filters, queue_query_string, safe_http_url
from brwatch.web.routes.queue import Decision
from brwatch.web.security import Access, SignedInUser
from brwatch.web.snapshot import SnapshotUnreadable, snapshot_frame_document
from brwatch.web.templating import render

router = APIRouter()
Filters = Annotated[QueueFilters, Depends(queue_filters)]


def _missing(article_id: int) -> WebError:
    return WebError(
        404,
        "not_found",
        N_("Item %(id)s does not exist (it may have been removed)."),
        id=article_id,
    )


def _conflict_error(conflict: DecisionConflict) -> WebError:
    return WebError(
        409,
        "conflict",
        N_(
            "Someone else decided on this item while you were looking at it; your decision was not saved."  # noqa: E501
        ),
        current_state=conflict.current_state,
        current_version=conflict.current_version,
        by=conflict.by,
        at=conflict.at.isoformat() if conflict.at else None,
    )


def _article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise _missing(article_id)
    return article


def _snapshot_document(view: ItemView, snapshot_id: int | None) -> tuple[str | None, str | None]:
    """(srcdoc, problem) for the chosen or newest snapshot."""
    chosen = next((s for s in view.snapshots if s.id == snapshot_id), None) if snapshot_id else None
    snapshot = chosen or (view.snapshots[0] if view.snapshots else None)
    if snapshot is None:
        return None, N_("No snapshot is stored for this item.")
    content_type = (snapshot.headers or {}).get("content-type") or (snapshot.headers or {}).get(
        "Content-Type"
    )
    try:
        return snapshot_frame_document(snapshot.html_gz, content_type), None
    except SnapshotUnreadable:
        return None, N_("The stored snapshot cannot be read.")


def _item_page(
    request: Request,
    user: SignedInUser,
    article_id: int,
    filters: QueueFilters,
    *,
    snapshot_id: int | None = None,
    conflict: DecisionConflict | None = None,
    draft: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with request.app.state.db.session() as session:
        view = load_item(session, _article(session, article_id))
        previous, following = neighbours(session, filters, article_id)
        grants = (
            list_grants(session, include_revoked=False, revoked_last=True)
            if user.can(Capability.DECIDE)
            else []
        )
    srcdoc, snapshot_problem = _snapshot_document(view, snapshot_id)
    return render(
        request,
        "item.html",
        {
            "view": view,
            "a": view.article,
            "original_url": safe_http_url(view.article.url),
            "srcdoc": srcdoc,
            "snapshot_problem": snapshot_problem,
            "previous_id": previous,
            "next_id": following,
            "query": queue_query_string(filters),
            "grants": grants,
            "decisions": DECISIONS,
            "labels": STATE_LABELS,
            "conflict": conflict,
            "draft": draft or {},
        },
        status_code=status_code,
    )


@router.get("/items/{article_id}", include_in_schema=False)
def item_page(
    request: Request,
    article_id: int,
    user: Annotated[SignedInUser, Depends(Access(Capability.REVIEW))],
    filters: Filters,
    snapshot: int | None = None,
) -> Response:
    return _item_page(request, user, article_id, filters, snapshot_id=snapshot)


@router.post("/items/{article_id}/decide", include_in_schema=False)
def decide_form(
    request: Request,
    article_id: int,
    user: Annotated[SignedInUser, Depends(Access(Capability.DECIDE))],
    filters: Filters,
    state: Annotated[Decision, Form()],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
    grant_id: Annotated[int | None, Form()] = None,
    advance: Annotated[bool, Form()] = False,
) -> Response:
    draft = {"state": state, "note": note, "grant_id": grant_id}
    try:
        with request.app.state.db.session() as session:
            decide(
                session,
                article_id,
                state,
                user=user.name,
                expected_version=version,
                note=note,
                grant_id=grant_id,
            )
            _, following = neighbours(session, filters, article_id) if advance else (None, None)
    except ItemMissing as exc:
        raise _missing(article_id) from exc
    except DecisionError as exc:
        flash(request, exc.message, kind="error", **exc.params)
        return _item_page(request, user, article_id, filters, draft=draft, status_code=400)
    except DecisionConflict as conflict:
        # Shown with the reviewer's own choice and note kept in the form: nothing is lost.
        return _item_page(
            request, user, article_id, filters, conflict=conflict, draft=draft, status_code=409
        )
    flash(request, N_("Decision recorded: %(state)s."), state=STATE_LABELS[state])
    target = following if following is not None else article_id
    return RedirectResponse(f"/items/{target}?{queue_query_string(filters)}", status_code=303)


@router.get("/api/items/{article_id}", tags=["items"])
def item_api(
    request: Request,
    article_id: int,
    user: Annotated[SignedInUser, Depends(Access(Capability.REVIEW))],
) -> dict[str, Any]:
    """One article: verdict, evidence, attribution checks, reprint chain, snapshots, audit."""
    with request.app.state.db.session() as session:
        return item_dict(load_item(session, _article(session, article_id)))


class DecisionIn(BaseModel):
    state: Decision
    version: int | None = Field(
        None,
        description="review version the caller saw; if it changed: 409 (omit: no check)",
    )
    note: str | None = Field(None, max_length=4000)
    grant_id: int | None = Field(
        None,
        description="required with permission_granted: a grant in force covering the article "
        "(by URL) or its publisher; otherwise 400 with the reason",
    )


@router.post("/api/items/{article_id}/decision", tags=["items"])
def decide_api(
    request: Request,
    article_id: int,
    body: DecisionIn,
    user: Annotated[SignedInUser, Depends(Access(Capability.DECIDE))],
) -> dict[str, Any]:
    """Record a decision (send the X-CSRF-Token header from /api/me)."""
    try:
        with request.app.state.db.session() as session:
            article = decide(
                session,
                article_id,
                body.state,
                user=user.name,
                expected_version=body.version,
                note=body.note,
                grant_id=body.grant_id,
            )
            return {
                "id": article.id,
                "review": {"state": article.review_state, "version": article.review_version},
            }
    except ItemMissing as exc:
        raise _missing(article_id) from exc
    except DecisionError as exc:
        raise WebError(400, exc.code, exc.message, **exc.params) from exc
    except DecisionConflict as conflict:
        raise _conflict_error(conflict) from None
