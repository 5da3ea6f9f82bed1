"""Putting what each subscriber should hear about into the outbox (``notification_deliveries``).

One row per (user, channel, kind, item): the unique key is what keeps an item from being sent
twice, whichever process or run finds it. Items are recorded with what the digest will say of
them, as they were when found.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brwatch.provenance.reuse import refresh_stale
from brwatch.storage import Database
from brwatch.storage.flagged import flagged_clause
from brwatch.storage.models import (
    Article,
    Grant,
    NotificationDelivery,
    NotificationSubscription,
    SourceFlag,
)

log = logging.getLogger(__name__)
FLAGGED_ITEM = "flagged_item"
SOURCE_FLAG = "source_flag"
EXPIRING_GRANT = "expiring_grant"
# New flagged items picked up per subscriber and run; the next run takes the rest.
SCAN_LIMIT = 2000

Found = dict[str, dict[str, Any]]  # item key -> detail


def channels_of(subscription: NotificationSubscription) -> list[str]:
    return [
        channel
        for channel, address in (
            ("email", subscription.email),
            ("webhook", subscription.webhook_url),
        )
        if address
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def flagged_items(session: Session, since: datetime) -> Found:
    rows = session.execute(
        select(
            Article.id, Article.title, Article.url, Article.source, Article.reuse_status,
            Article.reuse_conflict, Article.attribution_link,
        )
        .where(and_(flagged_clause(), Article.relevant.is_(True)))
        .where(Article.review_state == "pending", Article.first_seen_at >= since)
        .order_by(Article.first_seen_at, Article.id)
        .limit(SCAN_LIMIT)
    )  # fmt: skip
    return {
        f"article:{row.id}": {
            "id": row.id,
            "title": row.title,
            "url": row.url,
            "source": row.source,
            "status": row.reuse_status,
            "conflict": bool(row.reuse_conflict),
            "link": row.attribution_link,
        }
        for row in rows
    }


def source_flags(session: Session, since: datetime) -> Found:
    rows = session.scalars(select(SourceFlag).where(SourceFlag.raised_at >= since))
    # A flag that clears and is raised again is news again: its raising time is in the key.
    return {
        f"flag:{row.source}:{row.kind}:{_iso(row.raised_at)}": {
            "source": row.source,
            "kind": row.kind,
            "detail": row.detail,
        }
        for row in rows
    }


def expiring_grants(session: Session, now: datetime, days: int) -> Found:
    rows = session.scalars(
        select(Grant).where(
            Grant.revoked_at.is_(None),
            Grant.valid_to > now,
            Grant.valid_to <= now + timedelta(days=days),
        )
    )
    # An extended grant that nears its new end is news again: the end date is in the key.
    return {
        f"grant:{row.id}:{_iso(row.valid_to)}": {
            "id": row.id,
            "publisher": row.publisher,
            "valid_to": _iso(row.valid_to),
            "reference": row.reference,
        }
        for row in rows
    }


def fill_outbox(db: Database, now: datetime) -> int:
    """Record what every active subscriber has not yet been told; returns the rows added."""
    added = 0
    refresh_stale(db)  # flagged means what the queue shows
    with db.session() as session:
        subscriptions = session.scalars(
            select(NotificationSubscription).where(NotificationSubscription.enabled.is_(True))
        ).all()
    for subscription in subscriptions:
        channels = channels_of(subscription)
        if not channels:
            continue
        try:
            with db.session() as session:
                added += _fill_one(session, subscription, channels, now)
        except IntegrityError:
            # Another notify run recorded the same items a moment ago: theirs stand.
            log.info("notifications of user %s were queued by another run", subscription.user_id)
    return added


def _fill_one(
    session: Session, subscription: NotificationSubscription, channels: list[str], now: datetime
) -> int:
    wanted: dict[str, Found] = {}
    if subscription.flagged_items:
        wanted[FLAGGED_ITEM] = flagged_items(session, subscription.since)
    if subscription.source_flags:
        wanted[SOURCE_FLAG] = source_flags(session, subscription.since)
    if subscription.expiring_grants:
        wanted[EXPIRING_GRANT] = expiring_grants(session, now, subscription.grant_days)
    known_rows = session.execute(
        select(
            NotificationDelivery.channel, NotificationDelivery.kind, NotificationDelivery.item_key
        ).where(NotificationDelivery.user_id == subscription.user_id)
    )
    known = {tuple(row) for row in known_rows}
    added = 0
    for kind, found in wanted.items():
        for key, detail in found.items():
            for channel in channels:
                if (channel, kind, key) in known:
                    continue
                session.add(
                    NotificationDelivery(
                        user_id=subscription.user_id,
                        channel=channel,
                        kind=kind,
                        item_key=key,
                        detail=detail,
                        status="pending",
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
                added += 1
    session.flush()
    return added
