"""`brwatch export`: stored articles with their verdicts, one JSON object per line.

The line shape is the DESIGN.md contract. Relevant articles only unless ``--all``; rows are
streamed in id order, so exporting a large database takes constant memory.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from brwatch.cli._common import CommandError, database, print_json_line
from brwatch.provenance.reuse import refresh_stale
from brwatch.storage.models import Article

STREAM_BATCH = 500


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    parser.add_argument(
        "--warc",
        metavar="FILE",
        help="instead: every stored snapshot as WARC records in FILE (.warc.gz); see "
        "docs/evidence.md",
    )
    parser.add_argument("--since", metavar="DATE", help="with --warc: fetched on or after")
    parser.add_argument("--until", metavar="DATE", help="with --warc: fetched on or before")
    parser.set_defaults(handler=run)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _attribution(article: Article) -> dict[str, Any]:
    stored = article.attribution or {}
    link = stored.get("link", article.attribution_link)
    if link is None and not article.origin:
        # Nothing credited to another publisher: no link is owed. With an origin and no check
        # yet, the outcome stays null until `brwatch attribution check` has run.
        link = "not_required"
    return {
        **stored,
        "origin": stored.get("origin", article.origin),
        "origin_url": stored.get("origin_url"),
        "link": link,
    }


def article_record(article: Article, reprint_of: str | None = None) -> dict[str, Any]:
    """The export line of one article (DESIGN.md "export --json line"). ``rights`` is the stored
    reuse verdict: a reprint carries its original's rights, and a page crediting a publisher
    carries that publisher's registered terms (the stricter wins); ``own_rights`` is the page's
    own verdict (both null until the rights engine has judged the page)."""
    judged = article.rights is not None
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
        "rights": (article.reuse_rights or article.rights) if judged else None,
        "own_rights": article.rights,
        "attribution": _attribution(article),
        "reprint_of": reprint_of,
        "review": {"state": article.review_state, "version": article.review_version},
        "fetched_at": _iso(article.fetched_at),
        "snapshot_sha256": article.content_sha256,
    }


def run(args: argparse.Namespace) -> int:
    if args.warc:
        from brwatch.cli._evidence import export_warc_file

        return export_warc_file(args)
    if args.since or args.until:
        raise CommandError("--since and --until go with --warc")
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
    refresh_stale(db)
    with db.session() as session:
        rows = session.execute(query.execution_options(yield_per=STREAM_BATCH))
        for article, reprint_of in rows:
            print_json_line(article_record(article, reprint_of))
    return 0
