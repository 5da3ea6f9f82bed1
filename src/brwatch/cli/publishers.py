"""`brwatch publishers`: registered publishers and the identities learned from crawled sources,
with where each name and host came from."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from brwatch.cli._common import console, database, print_json_line, safe
from brwatch.cli.sources import sources_for


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "publishers",
        help="list publisher identities: registered ones and those learned from the sources",
        description="Publishers in rules/publishers.yaml, and every crawled source as a "
        "publisher: its sources entry (title, hosts) and the names its pages give the site "
        "(og:site_name, JSON-LD publisher, title suffix, header logo, copyright holder).",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per publisher")
    parser.add_argument(
        "--learned", action="store_true", help="only the identities learned from the sources"
    )
    parser.set_defaults(handler=run)


def describe(publisher: Any) -> dict[str, Any]:
    """One publisher as `--json` prints it: names and hosts, each with where it came from."""
    from brwatch.attribution.identities import REGISTRY, LearnedPublisher

    if isinstance(publisher, LearnedPublisher):
        names: dict[str, dict[str, Any]] = {}
        hosts: dict[str, dict[str, Any]] = {}
        for value, kind, found_in, pages in publisher.found:
            entry = (names if kind == "name" else hosts).setdefault(
                value, {"found_in": [], "pages": 0}
            )
            entry["found_in"].append(found_in)
            entry["pages"] = max(entry["pages"], pages)
        return {
            "id": publisher.id,
            "name": publisher.name,
            "kind": publisher.kind,
            "learned": True,
            "source": publisher.source,
            "names": [{"name": name, **seen} for name, seen in names.items()],
            "hosts": [{"host": host, **seen} for host, seen in hosts.items()],
        }
    return {
        "id": publisher.id,
        "name": publisher.name,
        "kind": publisher.kind,
        "learned": False,
        "source": None,
        "names": [{"name": name, "found_in": [REGISTRY], "pages": 0} for name in publisher.names],
        "hosts": [{"host": host, "found_in": [REGISTRY], "pages": 0} for host in publisher.domains],
    }


def run(args: argparse.Namespace) -> int:
    from brwatch.attribution.identities import publisher_directory

    sources = sources_for(args)
    db = database(args)
    try:
        directory = publisher_directory(db, sources=sources)
    finally:
        db.dispose()
    described = [describe(p) for p in directory]
    if args.learned:
        described = [d for d in described if d["learned"]]
    if args.json:
        for entry in described:
            print_json_line(entry)
        return 0
    table = Table(title="publishers")
    for column in ("id", "name", "kind", "names (where found)", "hosts"):
        table.add_column(column)
    for entry in described:
        names = "; ".join(
            f"{n['name']} ({', '.join(n['found_in'])}"
            + (f", {n['pages']} pages)" if n["pages"] else ")")
            for n in entry["names"][:6]
        )
        hosts = ", ".join(h["host"] for h in entry["hosts"][:4])
        table.add_row(
            safe(entry["id"]), safe(entry["name"]), entry["kind"], safe(names), safe(hosts)
        )
    console.print(table)
    learned = sum(1 for d in described if d["learned"])
    console.print(f"{len(described) - learned} registered, {learned} learned from the sources")
    return 0
