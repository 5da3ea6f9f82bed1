"""`brwatch grants add|list|revoke`: permissions that publishers granted, recorded by legal."""

from __future__ import annotations

import argparse
from datetime import datetime

from rich.table import Table

from brwatch.attribution import load_publishers
from brwatch.cli._common import console, database, print_json_line, safe
from brwatch.reuse import add_grant, is_active, list_grants, revoke_grant
from brwatch.reuse.grants import grant_dict, grant_json


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("grants", help="record, list and revoke permission grants")
    actions = parser.add_subparsers(dest="grants_action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="record a permission a publisher granted")
    add.add_argument("publisher", help="registry id, any name, or a domain of the publisher")
    add.add_argument("--scope", choices=("article", "all"), required=True)
    add.add_argument("--article", metavar="URL", help="the article (scope article)")
    add.add_argument("--from", dest="valid_from", metavar="DATE", help="valid from (YYYY-MM-DD)")
    add.add_argument("--to", dest="valid_to", metavar="DATE", help="valid to, inclusive")
    add.add_argument("--conditions", help="conditions; quoted text must appear in drafts")
    add.add_argument("--reference", help="the permission document (file, ticket, e-mail)")
    add.add_argument("--by", metavar="NAME", help="who records it")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", help="list grants")
    listing.add_argument("--active", action="store_true", help="only grants valid now")
    listing.add_argument("--publisher", help="only this publisher's grants")
    listing.add_argument("--json", action="store_true", help="one JSON object per grant per line")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser("revoke", help="revoke a grant")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--by", metavar="NAME", help="who revokes it")
    revoke.set_defaults(handler=run_revoke)


def run_add(args: argparse.Namespace) -> int:
    db = database(args)
    try:
        grant = add_grant(
            db,
            args.publisher,
            args.scope,
            article_url=args.article,
            valid_from=args.valid_from,
            valid_to=args.valid_to,
            conditions=args.conditions,
            reference=args.reference,
            created_by=args.by,
        )
    finally:
        db.dispose()
    if args.json:
        print_json_line(grant_json(grant))
    else:
        known = load_publishers().get(grant.publisher)
        unlisted = "" if known else " (not in the publisher registry)"
        console.print(f"recorded grant #{grant.id} from {safe(grant.publisher)}{unlisted}")
    return 0


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def run_list(args: argparse.Namespace) -> int:
    db = database(args)
    try:
        grants = list_grants(db, active_only=args.active, publisher=args.publisher)
    finally:
        db.dispose()
    if args.json:
        for grant in grants:
            print_json_line({**grant_json(grant), "active": is_active(grant)})
        return 0
    table = Table(title="permission grants")
    for column in ("id", "publisher", "scope", "article", "from", "to", "state", "reference"):
        table.add_column(column)
    for grant in grants:
        data = grant_dict(grant)
        state = "revoked" if grant.revoked_at else ("active" if is_active(grant) else "inactive")
        table.add_row(
            str(grant.id),
            safe(grant.publisher),
            safe(grant.scope),
            safe(grant.article_url or ""),
            _day(data["valid_from"]),
            _day(data["valid_to"]),
            state,
            safe(grant.reference or ""),
        )
    console.print(table)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    db = database(args)
    try:
        grant = revoke_grant(db, args.id, by=args.by)
    finally:
        db.dispose()
    console.print(f"revoked grant #{grant.id} from {safe(grant.publisher)}")
    return 0
