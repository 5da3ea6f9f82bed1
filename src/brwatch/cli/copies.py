"""`brwatch copies URL`: the article's original and every copy of it found across sources."""

from __future__ import annotations

import argparse

from rich.table import Table

from brwatch.cli._common import CommandError, console, database, print_json_line, safe


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("copies", help="list the copies (reprints) of a stored article")
    parser.add_argument("url", help="the article's URL or canonical URL")
    parser.add_argument("--json", action="store_true", help="one JSON object per copy per line")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: datasketch is slow to import and every other verb would pay for it.
    from brwatch.provenance import copies_of, find_article

    db = database(args)
    try:
        with db.session() as session:
            article = find_article(session, args.url)
            article_id = article.id if article is not None else None
        if article_id is None:
            raise CommandError(f"{args.url} is not a stored article (crawl it first)")
        copies = copies_of(db, article_id)
    finally:
        db.dispose()
    if args.json:
        for copy in copies:
            print_json_line(
                {
                    "url": copy.url,
                    "source": copy.source,
                    "title": copy.title,
                    "published": copy.published.isoformat() if copy.published else None,
                    "original": copy.is_original,
                    "similarity": round(copy.similarity, 3) if copy.similarity else None,
                    "origin": copy.origin,
                    "first_seen": copy.first_seen_at.isoformat() if copy.first_seen_at else None,
                    "why": copy.why,
                }
            )
        return 0
    table = Table(title=f"copies of {safe(args.url)}")
    for column in ("", "published", "first seen", "source", "similarity", "why", "url"):
        table.add_column(column)
    for copy in copies:
        table.add_row(
            "original" if copy.is_original else "copy",
            copy.published.strftime("%Y-%m-%d %H:%M") if copy.published else "-",
            copy.first_seen_at.strftime("%Y-%m-%d %H:%M") if copy.first_seen_at else "-",
            safe(copy.source),
            f"{copy.similarity:.2f}" if copy.similarity is not None else "-",
            safe(copy.why),
            safe(copy.url),
        )
    console.print(table)
    if len(copies) <= 1:
        console.print("no copies found")
    return 0
