"""`brwatch demo`: serve the bundled sample sites on loopback, crawl them with the real pipeline
into a fresh database, and say what to look at next. Works offline."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from rich import box
from rich.table import Table

from brwatch.cli._common import CommandError, console, safe
from brwatch.demo import DemoDataError, RunningSite, demo_sources_yaml, serve_demo_sites
from brwatch.demo.server import SITES_DIR
from brwatch.demo.summary import DemoSummary, StoredArticle, summarize
from brwatch.storage import Database, open_database
from brwatch.storage.states import FLAGGED_LINKS, FLAGGED_STATUSES

DEFAULT_DIR = Path("brwatch-demo")
STEP_TIMEOUT = 300  # seconds; the demo crawl takes a few
EXAMPLES_SHOWN = 6
# Attribution links on the sample pages point to other sample sites, on loopback: let the link
# checker reach them (it refuses private and loopback addresses unless told otherwise).
LOOPBACK = "127.0.0.0/8"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="crawl bundled sample sites offline and show what brwatch finds",
        description="Serve the bundled sample sites on loopback addresses, crawl them into a "
        "fresh database (default ./brwatch-demo/demo.db, or --db) with the real pipeline, and "
        "summarise what was found. Needs no internet.",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        help="where the demo database and sources file go (default: ./brwatch-demo)",
    )
    parser.add_argument(
        "--serve-only",
        action="store_true",
        help="only serve the sample sites and write their sources file; crawl them yourself",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    demo_dir: Path = args.dir
    sources_file = demo_dir / "demo-sources.yaml"
    # Not $BRWATCH_DB_URL: the demo must never write sample data into a real database.
    # Absolute, so the commands printed at the end work from any directory.
    db_url = args.db or f"sqlite:///{(demo_dir / 'demo.db').resolve()}"
    try:
        demo_dir.mkdir(parents=True, exist_ok=True)
        if args.serve_only:
            with serve_demo_sites() as sites:
                _write_sources(sites, sources_file)
                return _serve_until_interrupted(sources_file)
        database = _open_fresh(db_url, demo_dir if not args.db else None)
        try:
            with serve_demo_sites() as sites:
                _write_sources(sites, sources_file)
                _crawl(db_url, sources_file)
            summary = summarize(database)
        finally:
            database.dispose()
    except DemoDataError as exc:
        raise CommandError(f"the bundled demo data is broken: {exc}") from exc
    except OSError as exc:  # binding a loopback address, writing the demo directory
        raise CommandError(f"cannot run the demo: {exc}") from exc
    _print_summary(summary)
    _print_next_steps(db_url, sources_file, summary)
    return 0


def _write_sources(sites: dict[str, RunningSite], sources_file: Path) -> None:
    sources_file.write_text(demo_sources_yaml(sites), encoding="utf-8")
    _print_sites(sites)


def _open_fresh(db_url: str, demo_dir: Path | None) -> Database:
    """The database the demo crawls into, checked (and migrated) before any site is served.
    The default one, in the demo directory, starts empty on every run: it is ours to replace."""
    if demo_dir is not None:
        _remove_sqlite(demo_dir / "demo.db")
    return open_database(db_url)


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _print_sites(sites: dict[str, RunningSite]) -> None:
    table = Table(title="sample sites (loopback)")
    for column in ("site", "url", "lang"):
        table.add_column(column, no_wrap=column != "site")
    for site in sites.values():
        table.add_row(safe(site.spec.title), site.base_url, site.spec.lang)
    console.print(table)


def _serve_until_interrupted(sources_file: Path) -> int:
    # The message is inside the try: a Ctrl-C right after it is still a clean stop.
    try:
        console.print(
            f"serving; crawl them with:  brwatch --sources {safe(sources_file.resolve())} crawl"
            "\npress Ctrl-C to stop"
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopped")
    return 0


def _crawl(db_url: str, sources_file: Path) -> None:
    """The real `brwatch crawl`, then the attribution link checks, each in a child process
    (while the sample sites are up), their progress shown as they go."""
    crawl = [
        "--sources",
        str(sources_file),
        "crawl",
        # Our own loopback sites: no politeness delays needed, so the demo takes seconds.
        *("--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_DELAY=0"),
    ]
    console.print(f"crawling the sample sites into {db_url} …")
    _run_brwatch("crawl", db_url, crawl)
    console.print("checking the attribution links of articles that credit another publisher …")
    _run_brwatch("attribution check", db_url, ["attribution", "check"])


def _run_brwatch(step: str, db_url: str, arguments: list[str]) -> None:
    env = dict(os.environ)
    allowed = [n for n in env.get("BRWATCH_ALLOWED_NETWORKS", "").split(",") if n.strip()]
    env["BRWATCH_ALLOWED_NETWORKS"] = ",".join([*allowed, LOOPBACK])
    command = [sys.executable, "-P", "-m", "brwatch.cli", "--db", db_url, *arguments]
    started = time.monotonic()
    try:
        completed = subprocess.run(command, env=env, timeout=STEP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"demo: {step} did not finish within {STEP_TIMEOUT}s", 1) from exc
    if completed.returncode != 0:
        raise CommandError(f"demo: {step} failed (exit {completed.returncode})", 1)
    console.print(f"{step} finished in {time.monotonic() - started:.1f}s")


def _print_summary(summary: DemoSummary) -> None:
    articles = summary.articles
    console.print(
        f"\n[bold]{len(articles)} articles stored, {len(summary.relevant)} about the Belt and "
        f"Road[/], {len(summary.flagged)} flagged for review, {len(summary.reprints)} reprints "
        "recognised"
    )
    statuses = ", ".join(f"{status} {count}" for status, count in summary.by_status.most_common())
    console.print(f"reuse verdicts of the articles about the Belt and Road: {statuses}")
    links = ", ".join(f"{outcome} {count}" for outcome, count in summary.by_link.most_common())
    if links:
        console.print(f"attribution links of articles crediting an origin: {links}")
    for copy in summary.reprints:
        console.print(
            f"reprint: {safe(copy.source)} «{safe(copy.title)}» copies "
            f"{safe(copy.reprint_of_source or '?')} «{safe(copy.reprint_of or '?')}»"
        )
    not_relevant = [a.title for a in articles if not a.relevant]
    if not_relevant:
        console.print(
            f"not about the Belt and Road (kept, left out of exports): {safe(not_relevant[0])}"
        )
    if summary.flagged:
        console.print(_flagged_table(summary.flagged))


def _flagged_table(flagged: list[StoredArticle]) -> Table:
    """The first flagged articles, readable in an 80-column terminal: three columns whose cells
    wrap between words, the status codes never broken."""
    shown = flagged[:EXAMPLES_SHOWN]
    table = Table(
        title=f"flagged for review (the first {len(shown)} of {len(flagged)})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    # Words wrap whole; only a run longer than the column (a CJK title) is folded.
    table.add_column("article", ratio=3, overflow="fold")
    table.add_column("reuse", no_wrap=True)
    table.add_column("why", ratio=2, overflow="fold")
    for article in shown:
        table.add_row(
            f"{safe(article.title)}\n[dim]{safe(article.source)}[/]",
            article.reuse_status or "-",
            safe(_why_flagged(article)),
        )
    return table


def _why_flagged(article: StoredArticle) -> str:
    reasons = []
    if article.rights_status != article.reuse_status:
        reasons.append(f"the page says {article.rights_status or 'nothing'}; inherited from")
        reasons.append(", ".join(article.inherited) or "its original")
    elif article.reuse_status in FLAGGED_STATUSES:
        reasons.append("notice on the page")
    if article.conflict:
        reasons.append("conflicting notices")
    if article.unmatched:
        reasons.append("rights wording no rule knows")
    if article.attribution_link in FLAGGED_LINKS:
        reasons.append(f"link to the origin {article.attribution_link.replace('_', ' ')}")
    return "; ".join(reasons).replace("from; ", "from ")


def _print_next_steps(db_url: str, sources_file: Path, summary: DemoSummary) -> None:
    """Commands to try next, each working as printed (pasted in this directory or any other)."""
    db = f"--db {db_url}"
    sample_page = SITES_DIR / "reprint-en" / "news" / "rail-freight-doubles.html"
    copied = summary.reprints[0].url if summary.reprints else "URL"
    steps = [
        (f"brwatch {db} export --json", "relevant articles with their verdicts (JSON Lines)"),
        (f"brwatch {db} export --json --all", "every article, the football story too"),
        (
            f"brwatch {db} users add editor --role editor",
            "an account for the review app (asks for a password)",
        ),
        (f"brwatch {db} serve", "the review web app: log in as editor"),
        (f"brwatch {db} report --format html -o report.html", "the rights report for legal"),
        (f"brwatch {db} runs", "the crawl runs, one per source"),
        (f"brwatch {db} copies {copied}", "an article's original and its copies"),
        (f"brwatch check {sample_page}", "a rights verdict for any saved page or URL"),
        (f"brwatch --sources {sources_file.resolve()} sources", "the demo sources file"),
        ("brwatch demo --serve-only", "keep the sample sites up and crawl them yourself"),
    ]
    console.print("\n[bold]Next:[/]")
    for command, what in steps:
        # One line each, never wrapped by us: a wrapped command would not paste.
        console.print(f"  {safe(command)}", soft_wrap=True)
        console.print(f"      {what}", soft_wrap=True)
