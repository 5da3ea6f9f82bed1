"""Sending what the outbox holds: one digest per user and channel, retried with back-off.

A run claims the due rows of a digest (``pending`` -> ``sending``, one atomic UPDATE, so two
runs never send the same rows), sends them as one message, and marks them ``sent``. When the
server is down, slow or answers an error, tenacity tries again a few times with exponential
back-off; if it still fails, the rows go back to ``pending`` with the error and a later time to
try again (doubling per failure). Rows left ``sending`` by a process that died are retried once
they are stale (the one case where a digest could be sent twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from brwatch.notify.channels import DeliveryFailed, EmailChannel, WebhookChannel
from brwatch.notify.messages import Digest, compose
from brwatch.notify.settings import NotifySettings
from brwatch.storage import Database
from brwatch.storage.models import NotificationDelivery, NotificationSubscription, User, utcnow

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0  # digests
    items: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Sender:
    def __init__(
        self,
        db: Database,
        settings: NotifySettings,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.channels: dict[str, EmailChannel | WebhookChannel] = {
            "email": EmailChannel(settings),
            "webhook": WebhookChannel(settings),
        }
        self.sleep = sleep

    def send_due(self, now: datetime | None = None) -> SendReport:
        now = now or utcnow()
        report = SendReport()
        self._tidy(now)
        for user_id, channel in self._due_digests(now):
            self._send_digest(user_id, channel, now, report)
        return report

    def _tidy(self, now: datetime) -> None:
        """Stale claims go back to pending; rows of channels switched off are cancelled."""
        stale = now - timedelta(seconds=self.settings.stale_claim)
        with self.db.session() as session:
            session.execute(
                update(NotificationDelivery)
                .where(
                    NotificationDelivery.status == "sending",
                    NotificationDelivery.claimed_at < stale,
                )
                .values(status="pending")
            )
            for row in session.scalars(select(NotificationSubscription)):
                off = [c for c, address in (("email", row.email), ("webhook", row.webhook_url))
                       if not row.enabled or not address]  # fmt: skip
                if off:
                    session.execute(
                        update(NotificationDelivery)
                        .where(
                            NotificationDelivery.user_id == row.user_id,
                            NotificationDelivery.channel.in_(off),
                            NotificationDelivery.status == "pending",
                        )
                        .values(status="cancelled")
                    )

    def _due_digests(self, now: datetime) -> list[tuple[int, str]]:
        with self.db.session() as session:
            rows = session.execute(
                select(NotificationDelivery.user_id, NotificationDelivery.channel)
                .where(
                    NotificationDelivery.status == "pending",
                    NotificationDelivery.next_attempt_at <= now,
                )
                .distinct()
            )
            return [(user_id, channel) for user_id, channel in rows]

    def _claim(self, user_id: int, channel: str, now: datetime) -> list[NotificationDelivery]:
        due = and_(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.channel == channel,
            NotificationDelivery.status == "pending",
            NotificationDelivery.next_attempt_at <= now,
        )
        with self.db.session() as session:
            ids = list(session.scalars(select(NotificationDelivery.id).where(due)))
            if not ids:
                return []
            session.execute(
                update(NotificationDelivery)
                .where(due, NotificationDelivery.id.in_(ids))
                .values(status="sending", claimed_at=now)
            )
        with self.db.session() as session:
            # Only the rows this run turned to "sending" at this instant are ours.
            return list(
                session.scalars(
                    select(NotificationDelivery)
                    .where(
                        NotificationDelivery.id.in_(ids),
                        NotificationDelivery.status == "sending",
                        NotificationDelivery.claimed_at == now,
                    )
                    .order_by(NotificationDelivery.id)
                )
            )

    def _send_digest(self, user_id: int, channel: str, now: datetime, report: SendReport) -> None:
        rows = self._claim(user_id, channel, now)
        if not rows:
            return
        with self.db.session() as session:
            user = session.get(User, user_id)
            subscription = session.scalar(
                select(NotificationSubscription).where(NotificationSubscription.user_id == user_id)
            )
            locale = user.locale if user else None
            address = (
                (subscription.email if channel == "email" else subscription.webhook_url)
                if subscription
                else None
            )
        digest = compose(
            locale,
            [(row.kind, row.detail or {}) for row in rows],
            self.settings.public_url,
            self.settings.max_items,
        )
        ids = [row.id for row in rows]
        try:
            if not address:
                raise DeliveryFailed(f"user {user_id} has no {channel} address any more")
            self._with_retries(lambda: self.channels[channel].send(address, digest))
        except DeliveryFailed as exc:
            attempts = max(row.attempts for row in rows) + 1
            wait = min(
                self.settings.retry_after * 2 ** (attempts - 1), self.settings.retry_after_max
            )
            log.warning(
                "notification to user %s by %s failed (%s); next try in %.0fs",
                user_id, channel, exc, wait,
            )  # fmt: skip
            self._settle(ids, status="pending", attempts=attempts, last_error=str(exc)[:2000],
                         next_attempt_at=now + timedelta(seconds=wait))  # fmt: skip
            report.failed += 1
            report.errors.append(f"user {user_id} {channel}: {exc}")
            return
        self._settle(ids, status="sent", sent_at=utcnow(), last_error=None)
        report.sent += 1
        report.items += len(ids)

    def _with_retries(self, send: Callable[[], None]) -> None:
        settings = self.settings
        # tenacity's own sleep unless the caller handed in one.
        sleeping: dict[str, Any] = {"sleep": self.sleep} if self.sleep else {}
        retrying = Retrying(
            stop=stop_after_attempt(max(1, settings.attempts)),
            wait=wait_exponential(multiplier=settings.backoff, max=settings.backoff_max),
            retry=retry_if_exception_type(DeliveryFailed),
            reraise=True,
            **sleeping,
        )
        retrying(send)

    def _settle(self, ids: list[int], **values: object) -> None:
        with self.db.session() as session:
            session.execute(
                update(NotificationDelivery)
                .where(NotificationDelivery.id.in_(ids), NotificationDelivery.status == "sending")
                .values(**values)
            )


def preview(db: Database, settings: NotifySettings, user_id: int, channel: str) -> Digest | None:
    """The digest a user would get now on a channel, without sending or claiming anything."""
    with db.session() as session:
        rows = session.scalars(
            select(NotificationDelivery).where(
                NotificationDelivery.user_id == user_id,
                NotificationDelivery.channel == channel,
                NotificationDelivery.status == "pending",
            )
        ).all()
        user = session.get(User, user_id)
        if not rows:
            return None
        return compose(
            user.locale if user else None,
            [(row.kind, row.detail or {}) for row in rows],
            settings.public_url,
            settings.max_items,
        )
