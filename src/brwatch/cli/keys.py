"""`brwatch keys`: the installation's signing key for evidence packages.

- `keys init [--key FILE] [--force]` makes the key pair (private key readable by its owner only).
- `keys show [--key FILE]` prints the public key and its fingerprint, to hand to recipients.
- `keys verify FILE.wacz [--public-key FILE]` checks every byte and the signature; exit 1 if
  anything fails.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from brwatch.cli._common import console, console_err

KEY_HELP = "signing key file (env BRWATCH_SIGNING_KEY; default brwatch-signing-key.pem)"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("keys", help="the signing key of evidence packages")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="make the installation's signing key")
    init.add_argument("--key", metavar="FILE", help=KEY_HELP)
    init.add_argument("--force", action="store_true", help="replace an existing key")
    init.set_defaults(handler=run_init)
    show = actions.add_parser("show", help="print the public key and its fingerprint")
    show.add_argument("--key", metavar="FILE", help=KEY_HELP)
    show.set_defaults(handler=run_show)
    verify = actions.add_parser("verify", help="check an evidence package's bytes and signature")
    verify.add_argument("package", metavar="FILE.wacz")
    verify.add_argument(
        "--public-key",
        metavar="FILE",
        help="the trusted public key (default: this installation's, from --key)",
    )
    verify.add_argument("--key", metavar="FILE", help=KEY_HELP)
    verify.set_defaults(handler=run_verify)


def run_init(args: argparse.Namespace) -> int:
    from brwatch.evidence import fingerprint, init_key, key_path, public_path

    path = key_path(args.key)
    key = init_key(path, force=args.force)
    console.print(f"signing key: {path} (keep it private)")
    console.print(f"public key:  {public_path(path)} (give it to whoever verifies packages)")
    console.print(f"fingerprint: {fingerprint(key.public)}", soft_wrap=True)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from brwatch.evidence import fingerprint, key_path, load_public_key

    public = load_public_key(key_path(args.key))
    from cryptography.hazmat.primitives import serialization

    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    console.print(pem.decode("ascii").strip())
    console.print(f"fingerprint: {fingerprint(public)}", soft_wrap=True)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from brwatch.evidence import key_path, load_public_key, verify_package

    trusted = load_public_key(Path(args.public_key) if args.public_key else key_path(args.key))
    result = verify_package(Path(args.package), trusted)
    if result.ok:
        console.print(
            f"{args.package}: verified — {result.files} files intact, signed by {result.signed_by}",
            soft_wrap=True,
        )
        return 0
    for problem in result.problems:
        console_err.print(f"[bold red]failed:[/] {problem}", highlight=False)
    return 1
