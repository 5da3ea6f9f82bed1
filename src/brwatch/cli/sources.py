"""`brwatch sources`: list the sources file, or probe every entry point with `--check`."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from brwatch.cli._common import CommandError, console, print_json_line
from brwatch.sources import Source, SourcesError, load_sources, resolve_sources_path

if TYPE_CHECKING:
    from brwatch.sources.probe import ProbeResult

EXIT_SOME_UNREACHABLE = 1


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sources",
        help="list the sources to crawl, or check that their entry points answer",
        description="List the sources file (--sources / BRWATCH_SOURCES, default: the bundled "
        "one). "
        "With --check, request every start URL, feed and sitemap once and report which answer; "
        "exit 1 when some do not.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--check", action="store_true", help="probe every entry point")
    parser.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS", help="per request (--check)"
    )
    parser.add_argument(
        "--stale-days",
        type=float,
        default=30,
        metavar="DAYS",
        help="a feed or sitemap whose newest item is older is reported stale (--check)",
    )
    parser.set_defaults(handler=run)


def sources_for(args: argparse.Namespace) -> list[Source]:
    """The sources named by --sources / BRWATCH_SOURCES (and --source, when the verb has it), or a
    CommandError (exit 2) listing every problem of a bad file. Other verbs use this too."""
    try:
        sources = load_sources(getattr(args, "sources", None))
    except SourcesError as exc:
        count = len(exc.problems)
        heading = f"{exc.path}: {count} problem{'s' if count != 1 else ''}, nothing done"
        raise CommandError("\n".join([heading, *exc.problems])) from exc
    wanted = getattr(args, "source", None)
    if not wanted:
        return sources
    known = {source.name for source in sources}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise CommandError(
            f"no source named {', '.join(map(repr, unknown))} in "
            f"{resolve_sources_path(args.sources)} (known: {', '.join(sorted(known))})"
        )
    return [source for source in sources if source.name in wanted]


def run(args: argparse.Namespace) -> int:
    sources = sources_for(args)
    if args.check:
        return _check(sources, args)
    if args.json:
        for source in sources:
            print_json_line(_as_json(source))
        return 0
    table = Table(title=f"{len(sources)} sources — {resolve_sources_path(args.sources)}")
    for column in ("name", "title", "lang", "start", "feeds", "sitemaps", "schedule", "delay"):
        numeric = column in ("start", "feeds", "sitemaps")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "title")
    for source in sources:
        table.add_row(
            source.name,
            escape(source.display_title),
            ", ".join(source.lang),
            str(len(source.start_urls)),
            str(len(source.feeds)),
            str(len(source.sitemaps)),
            source.schedule or "-",
            "adaptive" if source.delay is None else f"{source.delay:g}s",
        )
    console.print(table)
    return 0


def _as_json(source: Source) -> dict[str, object]:
    data = source.model_dump(mode="json")
    spec = source.trigger_spec
    data["trigger"] = {"kind": spec.kind, "value": spec.value} if spec else None
    return data


def _check(sources: list[Source], args: argparse.Namespace) -> int:
    from brwatch.sources.probe import probe_sources  # httpx: only when probing

    count = sum(len(source.entry_points) for source in sources)
    if not args.json:
        console.print(f"checking {count} entry points of {len(sources)} sources …")
    results = probe_sources(
        sources, timeout=args.timeout, stale_after=timedelta(days=args.stale_days)
    )
    if args.json:
        for result in results:
            print_json_line(result.to_dict())
    else:
        _print_results(results)
    return 0 if all(result.ok for result in results) else EXIT_SOME_UNREACHABLE


def _print_results(results: list[ProbeResult]) -> None:
    table = Table()
    for column in ("source", "kind", "url", "result"):
        table.add_column(column, overflow="fold")
    styles = {"ok": "green", "stale": "yellow"}
    for result in results:
        label = {
            "ok": f"ok {result.status}",
            "stale": f"stale: {result.detail}",
            "wrong_content": f"wrong content: {result.detail}",
            "robots_disallowed": result.detail,
            "http_error": f"HTTP {result.status}",
            "unreachable": f"unreachable ({result.detail})",
        }[result.outcome]
        if result.ok and result.kind != "start_url":
            label += f" — {result.detail}"
        if result.crawl_delay:
            label += f" (robots.txt Crawl-delay {result.crawl_delay:g}s)"
        table.add_row(
            result.source,
            result.kind,
            escape(result.url),
            f"[{styles.get(result.outcome, 'red')}]{escape(label)}[/]",
        )
    console.print(table)
    fine = sum(result.ok for result in results)
    console.print(f"{fine} of {len(results)} entry points answered with what was expected")
