"""`brwatch attribution check`: check (or re-check) the attribution links of stored articles."""

from __future__ import annotations

import argparse
from datetime import timedelta

from brwatch.attribution import check_stored_article, recheck_attribution
from brwatch.attribution.check import link_fetcher
from brwatch.cli._common import CommandError, console, database, print_json_line, safe


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("attribution", help="attribution link checks")
    actions = parser.add_subparsers(dest="attribution_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="check articles that credit another publisher (never checked or stale)"
    )
    check.add_argument(
        "--stale",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="re-check articles last checked more than HOURS ago (default 24; 0: all)",
    )
    check.add_argument("--article", metavar="URL", help="check this one stored article now")
    check.add_argument("--limit", type=int, metavar="N", help="check at most N articles")
    check.add_argument(
        "--workers", type=int, default=4, metavar="N", help="checks run at once (default 4)"
    )
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    from brwatch.provenance import find_article  # slow import (datasketch): only when used

    db = database(args)
    try:
        fetcher = link_fetcher()
        if args.article:
            with db.session() as session:
                article = find_article(session, args.article)
                article_id = article.id if article is not None else None
            if article_id is None:
                raise CommandError(f"{args.article} is not a stored article")
            result = check_stored_article(db, article_id, fetcher)
            if args.json:
                print_json_line({**result.to_dict(), "evidence": result.evidence})
            else:
                console.print(f"{safe(args.article)}: [bold]{result.outcome}[/]")
                if result.evidence.get("reason"):
                    console.print(f"  {safe(str(result.evidence['reason']))}")
            return 0
        counts = recheck_attribution(
            db,
            timedelta(hours=max(args.stale, 0)),
            fetcher=fetcher,
            limit=args.limit,
            workers=args.workers,
        )
    finally:
        db.dispose()
    if args.json:
        print_json_line(counts)
    else:
        total = sum(v for k, v in counts.items() if k != "errors")
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to check"
        console.print(f"checked {total} article(s): {summary}")
    return 0
