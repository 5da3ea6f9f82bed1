"""Each user's notification choices (opt-in): what to be told, by email or webhook, and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brwatch.notify import (
    Preferences,
    SubscriptionError,
    preferences_of,
    save_subscription,
    subscription_of,
)
from brwatch.web.i18n import N_
from brwatch.web.routes._common import flash
from brwatch.web.security import SIGNED_IN, SignedInUser
from brwatch.web.templating import render

router = APIRouter()


def _page(
    request: Request, prefs: Preferences, problem: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request, "notifications.html", {"prefs": prefs, "problem": problem},
        status_code=status_code,
    )  # fmt: skip


@router.get("/account/notifications", include_in_schema=False)
def notifications_page(
    request: Request, user: Annotated[SignedInUser, Depends(SIGNED_IN)]
) -> Response:
    with request.app.state.db.session() as session:
        prefs = preferences_of(subscription_of(session, user.id))
    return _page(request, prefs)


@router.post("/account/notifications", include_in_schema=False)
def save_notifications(
    request: Request,
    user: Annotated[SignedInUser, Depends(SIGNED_IN)],
    email: Annotated[str, Form(max_length=320)] = "",
    webhook_url: Annotated[str, Form(max_length=2048)] = "",
    enabled: Annotated[bool, Form()] = False,
    flagged_items: Annotated[bool, Form()] = False,
    source_flags: Annotated[bool, Form()] = False,
    expiring_grants: Annotated[bool, Form()] = False,
    grant_days: Annotated[int, Form(ge=1, le=365)] = 14,
) -> Response:
    prefs = Preferences(
        enabled, email, webhook_url, flagged_items, source_flags, expiring_grants, grant_days
    )
    if enabled and not (email.strip() or webhook_url.strip()):
        return _page(request, prefs, N_("Give an email address or a webhook URL."), 400)
    try:
        with request.app.state.db.session() as session:
            save_subscription(session, user.id, prefs)
    except SubscriptionError as exc:
        # The field and the value, as the user typed them; the page stays filled in.
        return _page(request, prefs, str(exc), 400)
    flash(request, N_("Notification settings saved."))
    return RedirectResponse("/account/notifications", status_code=303)
