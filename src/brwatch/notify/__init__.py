"""Notifications per user, opt-in: new flagged items, flagged sources, expiring grants.

- `Preferences`, `save_subscription(session, user_id, prefs)`, `subscription_of(...)`: opt-in.
- `notify(db, settings)`: fill the outbox and send what is due (the scheduler's job runs it).
- `NotifySettings`: every setting and its default (BRWATCH_NOTIFY_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from brwatch.notify.outbox import fill_outbox
from brwatch.notify.send import Sender, SendReport
from brwatch.notify.settings import NotifySettings
from brwatch.notify.subscriptions import (
    Preferences,
    SubscriptionError,
    preferences_of,
    save_subscription,
    subscription_of,
)
from brwatch.storage import Database
from brwatch.storage.models import utcnow


@dataclass
class NotifyResult:
    queued: int
    report: SendReport


def notify(db: Database, settings: NotifySettings, now: datetime | None = None) -> NotifyResult:
    """One notification round: record new items in the outbox, then send the due digests."""
    now = now or utcnow()
    queued = fill_outbox(db, now)
    return NotifyResult(queued, Sender(db, settings).send_due(now))


__all__ = [
    "NotifyResult",
    "NotifySettings",
    "Preferences",
    "SendReport",
    "Sender",
    "SubscriptionError",
    "notify",
    "preferences_of",
    "save_subscription",
    "subscription_of",
]
