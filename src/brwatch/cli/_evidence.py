"""What the evidence verbs share: the WARC export of `brwatch export --warc`, SIGTERM handling."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brwatch.cli._common import CommandError, console_err, database


@contextmanager
def stop_cleanly_on_sigterm() -> Iterator[None]:
    """SIGTERM becomes SystemExit, so a half-written output file is removed, not left behind."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def export_warc_file(args: argparse.Namespace) -> int:
    from brwatch.evidence import export_warc

    path = Path(args.warc)
    if not path.name.endswith((".warc.gz", ".warc")):
        raise CommandError(f"--warc {args.warc}: the file name must end in .warc.gz")
    db = database(args)
    try:
        with stop_cleanly_on_sigterm():
            summary = export_warc(db, path, sources=args.source, since=args.since, until=args.until)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        db.dispose()
    console_err.print(
        f"wrote {path}: {summary.snapshots} snapshots ({summary.bytes:,} bytes of pages)"
    )
    if summary.mismatched:
        console_err.print(
            f"[bold red]warning:[/] {len(summary.mismatched)} snapshots no longer match the "
            f"digest recorded when they were fetched (ids {summary.mismatched[:20]})"
        )
        return 1
    return 0
