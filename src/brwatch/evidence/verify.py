"""Verifying an evidence package: every byte against its digest, and the digest's signature
against the installation's public key. Any changed byte in any file fails.

1. every file in the ZIP is listed in datapackage.json and matches its SHA-256 there;
2. datapackage-digest.json holds the SHA-256 of datapackage.json;
3. its ``signedData.signature`` is a valid ECDSA P-256 / SHA-256 signature of that hash by the
   trusted public key (the key embedded in the package must be that key: anyone can embed one);
4. evidence/manifest-sha256.txt agrees with the files it names.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from brwatch.evidence.keys import fingerprint, public_der, strict_b64decode, verify_signature
from brwatch.evidence.package import MANIFEST_NAME

SPECIAL = ("datapackage.json", "datapackage-digest.json")
DIGEST_FIELDS = {"path", "hash", "signedData"}
SIGNED_FIELDS = {"hash", "created", "signature", "publicKey"}


@dataclass
class Verification:
    path: Path
    problems: list[str] = field(default_factory=list)
    files: int = 0
    signed_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_package(path: Path, trusted: ec.EllipticCurvePublicKey) -> Verification:
    result = Verification(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(f"{path} is not a readable WACZ (ZIP) file: {exc}")
        return result
    with archive:
        try:
            _check(archive, trusted, result)
        except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
            # A damaged entry (bad CRC, truncated) or missing part: the package fails.
            result.problems.append(f"damaged package: {exc}")
    return result


def _check(
    archive: zipfile.ZipFile, trusted: ec.EllipticCurvePublicKey, result: Verification
) -> None:
    package_bytes = archive.read("datapackage.json")
    package: dict[str, Any] = json.loads(package_bytes)
    listed = {entry["path"]: entry["hash"] for entry in package.get("resources", [])}
    for name in archive.namelist():
        if name in SPECIAL:
            continue
        result.files += 1
        expected = listed.get(name)
        if expected is None:
            result.problems.append(f"{name} is not listed in datapackage.json")
        elif expected != "sha256:" + _sha256(archive, name):
            result.problems.append(f"{name} does not match its SHA-256 in datapackage.json")
    for name in listed.keys() - set(archive.namelist()):
        result.problems.append(f"{name} is listed in datapackage.json but missing")
    digest_bytes = archive.read("datapackage-digest.json")
    digest = json.loads(digest_bytes)
    package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    if digest.get("hash") != package_hash or digest.get("path") != "datapackage.json":
        result.problems.append("datapackage.json does not match datapackage-digest.json")
    signed = digest.get("signedData") or {}
    # Only the fields brwatch writes, written as brwatch writes them: no byte goes unchecked.
    if set(digest) != DIGEST_FIELDS or set(signed) != SIGNED_FIELDS:
        result.problems.append("datapackage-digest.json is not a signed brwatch digest")
    elif json.dumps(digest, indent=2).encode() != digest_bytes:
        result.problems.append("datapackage-digest.json was rewritten")
    elif signed.get("created") != package.get("created"):
        result.problems.append("the signature's date is not the package's")
    else:
        _check_signature(signed, package_hash, trusted, result)
    _check_manifest(archive, result)


def _check_signature(
    signed: dict[str, Any],
    package_hash: str,
    trusted: ec.EllipticCurvePublicKey,
    result: Verification,
) -> None:
    if signed.get("hash") != package_hash:
        result.problems.append("the signature is for another datapackage.json")
    try:
        embedded = strict_b64decode(str(signed.get("publicKey", "")))
    except ValueError:
        embedded = b""
    if embedded != public_der(trusted):
        result.problems.append(
            f"signed by another key, not the trusted one ({fingerprint(trusted)})"
        )
        return
    if not verify_signature(trusted, str(signed.get("hash", "")), str(signed.get("signature", ""))):
        result.problems.append("the signature does not verify with the trusted key")
        return
    result.signed_by = fingerprint(trusted)


def _check_manifest(archive: zipfile.ZipFile, result: Verification) -> None:
    for line in archive.read(MANIFEST_NAME).decode("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name not in archive.namelist():
            result.problems.append(f"the manifest names {name}, which is missing")
        elif _sha256(archive, name) != digest:
            result.problems.append(f"{name} does not match its SHA-256 in the manifest")
