"""`brwatch evidence URL -o FILE.wacz`: one article's signed evidence package for legal."""

from __future__ import annotations

import argparse
from pathlib import Path

from brwatch.cli._common import CommandError, console_err, database
from brwatch.cli._evidence import stop_cleanly_on_sigterm


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "evidence",
        help="one article's captures, verdict and decisions as a signed WACZ package",
        description="Every capture of the article at URL, its verdict and evidence, the "
        "attribution checks and the decision trail, packaged as WACZ and signed with the "
        "installation's key (`brwatch keys init`; check with `brwatch keys verify`).",
    )
    parser.add_argument("url", metavar="URL", help="the article's URL or canonical URL")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the .wacz to write")
    parser.add_argument(
        "--key", metavar="FILE", help="signing key (env BRWATCH_SIGNING_KEY; default "
        "brwatch-signing-key.pem)"
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from brwatch.evidence import (
        build_package,
        key_path,
        load_signing_key,
    )

    output = Path(args.output)
    if output.suffix != ".wacz":
        raise CommandError(f"-o {args.output}: the file name must end in .wacz")
    key = load_signing_key(key_path(args.key))
    db = database(args)
    try:
        with stop_cleanly_on_sigterm():
            summary = build_package(db, args.url, output, key)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
    finally:
        db.dispose()
    console_err.print(
        f"wrote {output}: {summary.captures} captures of {summary.url} (article "
        f"{summary.article_id}), signed by key {summary.key_fingerprint}"
    )
    return 0
