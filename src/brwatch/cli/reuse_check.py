"""`brwatch reuse-check --article URL --draft FILE`: may this draft be published?

Exit 0: yes. Exit 1: no, with each reason and what to change. Exit 2: the question could not
be answered (unreadable draft, unknown article that cannot be fetched); nothing is recorded.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from brwatch.cli._common import console, console_err, database, print_json_line, safe
from brwatch.fetch import SafeFetcher

if TYPE_CHECKING:
    from brwatch.reuse import GateResult

EXIT_NO = 1


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "reuse-check",
        help="may this draft be published? (exit 0 yes, 1 no)",
        description="Check a draft (HTML, Markdown or text) that reuses an article against the "
        "article's rights, recorded permission grants and the required credit, link and notices.",
    )
    parser.add_argument("--article", required=True, metavar="URL", help="the reused article")
    parser.add_argument("--draft", required=True, metavar="FILE", help="the draft; - for stdin")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.add_argument("--user", metavar="NAME", help="who asks (kept with the decision)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the gate pulls in datasketch, slow to import for every other verb.
    from brwatch.reuse import check_reuse, parse_draft, read_draft

    if args.draft == "-":
        draft = parse_draft(sys.stdin.buffer.read(), "<stdin>")
    else:
        draft = read_draft(args.draft)
    db = database(args)
    try:
        result = check_reuse(db, args.article, draft, fetcher=SafeFetcher(), user=args.user)
    finally:
        db.dispose()
    if args.json:
        print_json_line(result.to_dict())
    else:
        _print(result, args.article)
    return 0 if result.may_publish else EXIT_NO


def _print(result: GateResult, url: str) -> None:
    for warning in result.warnings:
        console_err.print(f"[yellow]warning:[/] {safe(warning)}")
    where = f"article #{result.article['id']}" if result.article.get("id") else "fetched now"
    if result.may_publish:
        console.print(f"[bold green]PASS[/] the draft may be published: {safe(url)}")
    else:
        console.print(f"[bold red]FAIL[/] the draft may not be published: {safe(url)}")
    console.print(f"rights: {result.status} ({where})")
    for reason in result.reasons:
        console.print(f"  [red]✗[/] {safe(reason.message)}")
        console.print(f"    → {safe(reason.fix)}")
    for note in result.notes:
        console.print(f"  • {safe(note)}")
