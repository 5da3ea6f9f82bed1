"""Evidence legal can hand over: snapshots as WARC, one article as a signed WACZ package.

- `export_warc(db, path, sources=, since=, until=)`: every stored snapshot as a WARC file.
- `build_package(db, url, output, key)`: one article's captures, verdict, checks and decision
  trail as a WACZ signed with the installation's key.
- `init_key(path)`, `load_signing_key(path)`, `load_public_key(path)`, `key_path(option)`.
- `verify_package(path, public_key)`: every byte and the signature, with the problems found.
- `EvidenceError`, `KeyProblem`: bad input, with a message naming what and where.
"""

from brwatch.evidence.export import export_warc
from brwatch.evidence.keys import (
    KeyProblem,
    fingerprint,
    init_key,
    key_path,
    load_public_key,
    load_signing_key,
    public_path,
)
from brwatch.evidence.package import PackageSummary, build_package
from brwatch.evidence.verify import Verification, verify_package
from brwatch.evidence.warc import EvidenceError, WarcSummary

__all__ = [
    "EvidenceError",
    "KeyProblem",
    "PackageSummary",
    "Verification",
    "WarcSummary",
    "build_package",
    "export_warc",
    "fingerprint",
    "init_key",
    "key_path",
    "load_public_key",
    "load_signing_key",
    "public_path",
    "verify_package",
]
