"""Who asked to be told what, and where: one opt-in subscription per user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from brwatch.errors import BrwatchError
from brwatch.storage.models import NotificationSubscription, utcnow

# One address, no display name, nothing that could end a mail header.
EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,255}\.[^@\s<>,;\"]{1,63}$")
MAX_GRANT_DAYS = 365


class SubscriptionError(BrwatchError, ValueError):
    """A field of a subscription is not acceptable; the message names it."""


@dataclass(frozen=True)
class Preferences:
    enabled: bool = True
    email: str | None = None
    webhook_url: str | None = None
    flagged_items: bool = True
    source_flags: bool = False
    expiring_grants: bool = False
    grant_days: int = 14

    def checked(self) -> Preferences:
        email = (self.email or "").strip() or None
        if email is not None and not EMAIL.match(email):
            raise SubscriptionError(f"email: {email!r} is not one email address")
        webhook = (self.webhook_url or "").strip() or None
        if webhook is not None:
            try:
                parts = urlsplit(webhook)
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise SubscriptionError(f"webhook: {webhook!r} is not an http(s) URL")
            if len(webhook) > 2048:
                raise SubscriptionError("webhook: the URL is longer than 2,048 characters")
        if not 1 <= self.grant_days <= MAX_GRANT_DAYS:
            raise SubscriptionError(
                f"grant days: must be 1 to {MAX_GRANT_DAYS}, not {self.grant_days}"
            )
        return Preferences(
            self.enabled, email, webhook, self.flagged_items, self.source_flags,
            self.expiring_grants, self.grant_days,
        )  # fmt: skip


def subscription_of(session: Session, user_id: int) -> NotificationSubscription | None:
    return session.scalar(
        select(NotificationSubscription).where(NotificationSubscription.user_id == user_id)
    )


def save_subscription(
    session: Session, user_id: int, wanted: Preferences
) -> NotificationSubscription:
    """Create or change a user's subscription; items flagged before it was made are not sent."""
    wanted = wanted.checked()
    row = subscription_of(session, user_id)
    if row is None:
        row = NotificationSubscription(user_id=user_id, since=utcnow())
        session.add(row)
    elif wanted.enabled and not row.enabled:
        row.since = utcnow()  # switched back on: no flood of what happened meanwhile
    row.enabled = wanted.enabled
    row.email = wanted.email
    row.webhook_url = wanted.webhook_url
    row.flagged_items = wanted.flagged_items
    row.source_flags = wanted.source_flags
    row.expiring_grants = wanted.expiring_grants
    row.grant_days = wanted.grant_days
    row.updated_at = utcnow()
    session.flush()
    return row


def preferences_of(row: NotificationSubscription | None) -> Preferences:
    if row is None:
        return Preferences(enabled=False)
    return Preferences(
        row.enabled, row.email, row.webhook_url, row.flagged_items, row.source_flags,
        row.expiring_grants, row.grant_days,
    )  # fmt: skip
