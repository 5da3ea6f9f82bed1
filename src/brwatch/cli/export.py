"""`brwatch export`: stored articles with their verdicts, one JSON object per line.

The line shape is the DESIGN.md contract. Relevant articles only unless ``--all``; rows are
streamed in id order, so exporting a large database takes constant memory.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from brwatch.cli._common import database, print_json_line
from brwatch.storage.models import Article

STREAM_BATCH = 500


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "export",
        help="stored articles with rights verdicts, as JSON Lines",
        description="One JSON object per stored article (relevant ones unless --all).",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="JSON Lines (the only format; accepted for symmetry with other verbs)",
    )
    parser.add_argument("--all", action="store_true", help="include articles not about the topic")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME",
        help="only this source (repeatable)",
    )
    parser.set_defaults(handler=run)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    # SQLite hands back naive datetimes; every stored time is UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _attribution(article: Article) -> dict[str, Any]:
    stored = article.attribution or {}
    return {
        **stored,
        "origin": stored.get("origin", article.origin),
        "origin_url": stored.get("origin_url"),
        "link": stored.get("link", article.attribution_link),
    }


def article_record(article: Article, reprint_of: str | None = None) -> dict[str, Any]:
    """The export line of one article (DESIGN.md "export --json line")."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "lang": article.lang,
        "published": _iso(article.published),
        "authors": list(article.authors or []),
        "relevant": bool(article.relevant),
        "topic_score": article.topic_score,
        "rights": article.rights,
        "attribution": _attribution(article),
        "reprint_of": reprint_of,
        "review": {"state": article.review_state, "version": article.review_version},
        "fetched_at": _iso(article.fetched_at),
        "snapshot_sha256": article.content_sha256,
    }


def run(args: argparse.Namespace) -> int:
    db = database(args)
    original = aliased(Article)
    query = (
        select(Article, original.canonical_url)
        .outerjoin(original, Article.reprint_of_id == original.id)
        .order_by(Article.id)
    )
    if not args.all:
        query = query.where(Article.relevant.is_(True))
    if args.source:
        query = query.where(Article.source.in_(args.source))
    with db.session() as session:
        rows = session.execute(query.execution_options(yield_per=STREAM_BATCH))
        try:
            for article, reprint_of in rows:
                print_json_line(article_record(article, reprint_of))
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error; keep Python from complaining.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
