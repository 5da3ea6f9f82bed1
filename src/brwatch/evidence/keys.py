"""The installation's signing key: an ECDSA P-256 key pair made once by `brwatch keys init`.

The private key is a PEM file readable by its owner only (``BRWATCH_SIGNING_KEY``, default
``brwatch-signing-key.pem`` in the working directory); the public key sits beside it
(``….pub.pem``) to hand to whoever must verify a package. Signatures follow the WACZ signing
spec's anonymous form: ECDSA with SHA-256 over the ASCII text of the package's hash, base64 DER.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from brwatch.errors import BrwatchError
from brwatch.settings import CoreSettings

KEY_ENV = "BRWATCH_SIGNING_KEY"
DEFAULT_KEY_FILE = "brwatch-signing-key.pem"


class KeyProblem(BrwatchError):
    """The key is missing, unreadable or not an ECDSA P-256 key; the message says which file."""


def key_path(option: str | Path | None = None) -> Path:
    """--key, else $BRWATCH_SIGNING_KEY, else brwatch-signing-key.pem here."""
    return Path(option or CoreSettings.load().signing_key or DEFAULT_KEY_FILE)


def public_path(private: Path) -> Path:
    name = private.name.removesuffix(".pem")
    return private.with_name(f"{name}.pub.pem")


def public_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the public key (DER), as legal would read it out over the phone."""
    digest = hashlib.sha256(public_der(key)).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


@dataclass(frozen=True)
class SigningKey:
    private: ec.EllipticCurvePrivateKey
    path: Path

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()

    def sign(self, text: str) -> str:
        signature = self.private.sign(text.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")

    def public_key_b64(self) -> str:
        return base64.b64encode(public_der(self.public)).decode("ascii")


def init_key(path: Path, *, force: bool = False) -> SigningKey:
    """Make a new key pair at ``path`` (and its .pub.pem); refuses to replace one unless forced."""
    if path.exists() and not force:
        raise KeyProblem(
            f"{path} already exists; packages signed with it verify only against it "
            "(use --force to replace it anyway)"
        )
    if not path.parent.is_dir():
        raise KeyProblem(f"cannot write {path}: folder {path.parent} does not exist")
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)
    public_path(path).write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return SigningKey(private, path)


def load_signing_key(path: Path) -> SigningKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyProblem(
            f"no signing key at {path}: run `brwatch keys init` (or set {KEY_ENV})"
        ) from None
    except OSError as exc:
        raise KeyProblem(f"cannot read signing key {path}: {exc.strerror or exc}") from exc
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyProblem(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise KeyProblem(f"{path} is not an ECDSA key")
    return SigningKey(private, path)


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A public key PEM, or the public half of a private key PEM."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"cannot read public key {path}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        return load_signing_key(path).public
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyProblem(f"{path} is not an ECDSA public key")
    return key


def strict_b64decode(text: str) -> bytes:
    """Base64 in its one canonical spelling, else ValueError: the unused low bits of a last
    character before "=" padding decode the same whatever they are, so a changed byte there
    would pass a check that only decodes."""
    decoded = base64.b64decode(text, validate=True)
    if base64.b64encode(decoded).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return decoded


def verify_signature(public: ec.EllipticCurvePublicKey, text: str, signature_b64: str) -> bool:
    try:
        public.verify(
            strict_b64decode(signature_b64),
            text.encode("ascii"),
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
