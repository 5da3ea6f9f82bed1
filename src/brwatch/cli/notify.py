"""`brwatch notify`: notifications per user (opt-in), sent by the scheduler's job.

- `notify send`: record new items and send the due digests (what the scheduler runs).
- `notify subscribe NAME [--email ADDR] [--webhook URL] [--flagged|--no-flagged]
  [--source-flags|--no-source-flags] [--grants|--no-grants] [--grant-days N] [--off]`.
- `notify status [--json]`: subscriptions and what waits in the outbox.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from brwatch.cli._common import CommandError, console, console_err, database, print_json_line

if TYPE_CHECKING:
    from brwatch.notify import NotifySettings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("notify", help="notifications per user: send, subscribe, status")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    send = actions.add_parser("send", help="queue new items and send the due digests")
    send.set_defaults(handler=run_send)
    subscribe = actions.add_parser("subscribe", help="choose what a user is told, and where")
    subscribe.add_argument("name", help="the user's name")
    subscribe.add_argument("--email", metavar="ADDR", help="send digests to this address")
    subscribe.add_argument("--webhook", metavar="URL", help="post digests to this webhook")
    for flag, field, what in (
        ("flagged", "flagged_items", "new flagged items"),
        ("source-flags", "source_flags", "sources flagged by monitoring"),
        ("grants", "expiring_grants", "grants expiring soon"),
    ):
        subscribe.add_argument(
            f"--{flag}", dest=field, action=argparse.BooleanOptionalAction, help=what
        )
    subscribe.add_argument("--grant-days", type=int, metavar="N", help="'soon' is within N days")
    subscribe.add_argument("--off", action="store_true", help="stop all notifications")
    subscribe.set_defaults(handler=run_subscribe)
    status = actions.add_parser("status", help="subscriptions and the outbox")
    status.add_argument("--json", action="store_true", help="one JSON object per user")
    status.set_defaults(handler=run_status)


def _settings() -> NotifySettings:
    from brwatch.notify import NotifySettings

    return NotifySettings.load()


def run_send(args: argparse.Namespace) -> int:
    from brwatch.notify import notify

    settings = _settings()
    db = database(args)
    try:
        result = notify(db, settings)
    finally:
        db.dispose()
    report = result.report
    console_err.print(
        f"notifications: {result.queued} items queued, {report.sent} digests sent "
        f"({report.items} items), {report.failed} failed and will be retried"
    )
    for error in report.errors:
        console_err.print(f"  {error}", highlight=False)
    return 0


def run_subscribe(args: argparse.Namespace) -> int:
    from brwatch.notify import (
        preferences_of,
        save_subscription,
        subscription_of,
    )
    from brwatch.storage.models import User

    db = database(args)
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == args.name))
        if user is None:
            raise CommandError(f"no user named {args.name!r} (see `brwatch users list`)")
        current = preferences_of(subscription_of(session, user.id))
        changes = {
            key: value
            for key, value in {
                "email": args.email,
                "webhook_url": args.webhook,
                "flagged_items": args.flagged_items,
                "source_flags": args.source_flags,
                "expiring_grants": args.expiring_grants,
                "grant_days": args.grant_days,
            }.items()
            if value is not None
        }
        wanted = dataclasses.replace(current, enabled=not args.off, **changes)
        if wanted.enabled and not (wanted.email or wanted.webhook_url):
            raise CommandError("give --email or --webhook: there is nowhere to send to")
        save_subscription(session, user.id, wanted)
    state = "off" if args.off else "on"
    console.print(f"notifications for {args.name}: {state}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from brwatch.storage.models import NotificationDelivery, NotificationSubscription, User

    db = database(args)
    with db.session() as session:
        counts: dict[tuple[int, str], int] = {
            (user_id, status): n
            for user_id, status, n in session.execute(
                select(NotificationDelivery.user_id, NotificationDelivery.status, func.count())
                .group_by(NotificationDelivery.user_id, NotificationDelivery.status)
            )
        }  # fmt: skip
        rows = session.execute(
            select(User.name, NotificationSubscription)
            .join(NotificationSubscription, NotificationSubscription.user_id == User.id)
            .order_by(User.name)
        ).all()
        for name, sub in rows:
            line = {
                "user": name,
                "enabled": sub.enabled,
                "email": sub.email,
                "webhook": bool(sub.webhook_url),
                "flagged_items": sub.flagged_items,
                "source_flags": sub.source_flags,
                "expiring_grants": sub.expiring_grants,
                "grant_days": sub.grant_days,
                "outbox": {
                    status: counts.get((sub.user_id, status), 0)
                    for status in ("pending", "sending", "sent", "cancelled")
                },
            }
            if args.json:
                print_json_line(line)
            else:
                console.print(
                    f"{name}: {'on' if sub.enabled else 'off'}; email {sub.email or '—'}; "
                    f"webhook {'yes' if sub.webhook_url else 'no'}; outbox {line['outbox']}"
                )
    return 0
