"""`brwatch report`: the rights report for legal, as HTML, PDF, CSV or JSON.

Text formats go to stdout unless -o is given; a PDF goes to -o, or to stdout only when stdout
is not a terminal (a pipe or a redirect), so binary never spills onto a screen.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from brwatch.cli._common import CommandError, console_err, database
from brwatch.reports import FORMATS, ITEM_CAPS, build_report, render
from brwatch.reports.period import Period


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "report",
        help="rights report for legal (HTML, PDF, CSV, JSON)",
        description=(
            "What was collected, restricted, decided and reused in a period, exceptions first. "
            "Dates are YYYY-MM-DD (whole days, UTC) or ISO 8601 times; --until includes its day."
        ),
    )
    parser.add_argument("--since", metavar="DATE", help="first day (default: the first record)")
    parser.add_argument("--until", metavar="DATE", help="last day, included (default: now)")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME",
        help="only this source (repeatable)",
    )
    parser.add_argument("--format", choices=FORMATS, default="html", help="output format (html)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "pdf" and not args.output and sys.stdout.isatty():
        raise CommandError("a PDF is binary: give -o FILE or redirect stdout to a file")
    Period.parse(args.since, args.until, datetime.now(UTC))
    db = database(args)
    try:
        report = build_report(
            db,
            args.since,
            args.until,
            args.source or None,
            sources_file=args.sources,
            item_limit=ITEM_CAPS[args.format],
        )
        body = render(report, args.format)
    finally:
        db.dispose()
    if args.output:
        try:
            Path(args.output).write_bytes(body)
        except OSError as exc:
            raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        console_err.print(
            f"wrote {args.output}: {report.totals['articles']} articles, "
            f"{len(report.exceptions)} exceptions, {report.items_total} items"
        )
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    return 0
