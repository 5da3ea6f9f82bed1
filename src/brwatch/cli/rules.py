"""`brwatch rules test` runs the examples of every data file in rules/: the rights rules, the
topic vocabulary and the publisher registry. `brwatch rules list` shows the rights rules."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from brwatch.cli._common import CommandError, console, database, print_json_line
from brwatch.rights import Ruleset, load_ruleset
from brwatch.rights.selftest import rule_problems, unscreened_patterns

EXIT_FAILED = 1


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("rules", help="test or list the rights rules")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="run every rule's examples and counterexamples")
    test.add_argument(
        "--dir", metavar="DIR", help="rules directory (default: the bundled rules/rights)"
    )
    test.set_defaults(handler=run_test)
    listing = actions.add_parser("list", help="list the rules")
    listing.add_argument(
        "--dir", metavar="DIR", help="rules directory (default: the bundled rules/rights)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per rule per line")
    listing.set_defaults(handler=run_list)
    unmatched = actions.add_parser(
        "unmatched",
        help="the most frequent rights-like sentences no rule matched, across the database",
    )
    unmatched.add_argument("--limit", type=int, default=20, metavar="N", help="how many (20)")
    unmatched.add_argument("--json", action="store_true", help="one JSON object per sentence")
    unmatched.set_defaults(handler=run_unmatched)


def _load(args: argparse.Namespace) -> Ruleset:
    return load_ruleset(args.dir)


def run_test(args: argparse.Namespace) -> int:
    ruleset = _load(args)
    failed = 0
    examples = 0
    for compiled in ruleset.rules:
        rule = compiled.rule
        examples += len(rule.examples) + len(rule.counterexamples)
        problems = rule_problems(ruleset, rule)
        if problems:
            failed += 1
            console.print(f"[bold red]FAIL[/] {escape(rule.id)}")
            for problem in problems:
                console.print(f"     {escape(problem)}")
    failed += _report_other_examples()
    unscreened = unscreened_patterns(ruleset)
    if unscreened:
        console.print(
            f"{len(unscreened)} patterns run over every page (no literal of three bytes for the "
            "prefilter to look for first):"
        )
        for rule_id, number in unscreened:
            console.print(f"     {escape(rule_id)}, pattern {number}")
    verdict = "[bold red]failed[/]" if failed else "[green]ok[/]"
    console.print(
        f"{len(ruleset.rules)} rules, {examples} examples: {verdict}"
        + (f" ({failed} rules failing)" if failed else "")
        + f"  ruleset {ruleset.version}"
    )
    return EXIT_FAILED if failed else 0


def _report_other_examples() -> int:
    """Run the topic vocabulary's and the publisher registry's own examples; count failures."""
    from brwatch.attribution import load_publishers
    from brwatch.relevance import example_problems

    failed = 0
    for name, problems in (
        ("topic vocabulary", example_problems()),
        ("publisher registry", load_publishers().example_failures()),
    ):
        if problems:
            failed += 1
            console.print(f"[bold red]FAIL[/] {name}")
            for problem in problems:
                console.print(f"     {escape(problem)}")
        else:
            console.print(f"{name}: [green]ok[/]")
    return failed


def run_list(args: argparse.Namespace) -> int:
    ruleset = _load(args)
    if args.json:
        for compiled in ruleset.rules:
            rule = compiled.rule
            print_json_line(
                rule.model_dump(include={"id", "title", "kind", "status", "languages", "scopes"})
            )
        return 0
    table = Table(title=f"rights rules (ruleset {ruleset.version})")
    for column in ("id", "kind", "status", "languages", "title"):
        table.add_column(column)
    for compiled in ruleset.rules:
        rule = compiled.rule
        table.add_row(
            rule.id, rule.kind, rule.status or "", ",".join(rule.languages), escape(rule.title)
        )
    console.print(table)
    return 0


def run_unmatched(args: argparse.Namespace) -> int:
    # Imported here: the other actions need no database.
    from brwatch.rights.unmatched_store import frequent_unmatched

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    found = frequent_unmatched(database(args), args.limit)
    if args.json:
        for sentence in found:
            print_json_line(
                {
                    "text": sentence.text,
                    "articles": sentence.articles,
                    "scopes": list(sentence.scopes),
                    "example_url": sentence.example_url,
                }
            )
        return 0
    if not found:
        console.print("no unmatched rights-like sentences in the database")
        return 0
    table = Table(title="rights-like sentences no rule matched (write a rule for them)")
    for column in ("articles", "where", "sentence", "example"):
        table.add_column(column)
    for sentence in found:
        table.add_row(
            str(sentence.articles),
            ",".join(sentence.scopes),
            escape(sentence.text),
            escape(sentence.example_url),
        )
    console.print(table)
    return 0
