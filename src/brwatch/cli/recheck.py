"""`brwatch recheck`: re-evaluate stored articles whose rights verdict came from older rules."""

from __future__ import annotations

import argparse

from brwatch.cli._common import console, console_err, database, print_json_line, safe
from brwatch.provenance.links import link_missing
from brwatch.provenance.reuse import refresh_stale
from brwatch.rights.recheck import recheck_articles


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "recheck",
        help="re-evaluate stored articles with the current rights rules",
        description=__doc__,
    )
    parser.add_argument("--all", action="store_true", help="every article, not only outdated ones")
    parser.add_argument("--limit", type=int, metavar="N", help="at most N articles")
    parser.add_argument("--json", action="store_true", help="the summary as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = database(args)
    try:
        # Articles left without a signature (a crash between storing and linking) are
        # fingerprinted and linked to their reprints first.
        fingerprinted = link_missing(db)
        summary = recheck_articles(db, everything=args.all, limit=args.limit)
        # New own verdicts change the reuse verdicts stored with them and with their copies.
        reuse_updated = refresh_stale(db)
    finally:
        db.dispose()
    if args.json:
        print_json_line(
            {
                **summary.to_dict(),
                "fingerprinted": fingerprinted,
                "reuse_verdicts_updated": reuse_updated,
            }
        )
    else:
        if fingerprinted:
            console.print(f"{fingerprinted} articles without a signature fingerprinted and linked")
        console.print(
            f"ruleset {summary.ruleset}: {summary.checked} articles re-checked, "
            f"{summary.changed} changed status, {summary.skipped_no_snapshot} without a snapshot; "
            f"{reuse_updated} reuse verdicts brought up to date"
        )
        for error in summary.errors:
            console_err.print(f"[red]unreadable:[/] {safe(error)}")
    return 1 if summary.errors else 0
