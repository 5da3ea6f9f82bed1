"""`brwatch evidence URL -o FILE.wacz`: one article's evidence as a signed WACZ package.

Inside (WACZ 1.1.1, which `wacz validate` accepts):

- ``archive/captures.warc.gz``: every stored version of the page (WARC response records with
  their metadata records, see ``warc.py``);
- ``indexes/index.cdx.gz``, ``indexes/index.idx`` and ``pages/pages.jsonl``: made by py-wacz's
  indexer, so replay tools (ReplayWeb.page) open the captures;
- ``evidence/*.json``: the article, its verdict and evidence, the captures with their recorded
  digests, the attribution checks, and the decision trail with users and times;
- ``evidence/manifest-sha256.txt``: the SHA-256 of the captures and of each evidence file, in
  `sha256sum -c` form;
- ``datapackage.json`` (every file with its SHA-256) and ``datapackage-digest.json`` (the
  SHA-256 of datapackage.json, signed with the installation's key).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO, TextIOWrapper
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session
from wacz.waczindexer import WACZIndexer

from brwatch.evidence import record
from brwatch.evidence.atomic import atomic_output
from brwatch.evidence.keys import SigningKey, fingerprint
from brwatch.evidence.warc import (
    EvidenceError,
    SnapshotWarcWriter,
    snapshot_query,
    stream_snapshots,
    warc_date,
)
from brwatch.provenance.links import find_article
from brwatch.storage import Database
from brwatch.storage.models import Article, Snapshot

WARC_NAME = "archive/captures.warc.gz"
MANIFEST_NAME = "evidence/manifest-sha256.txt"


@dataclass(frozen=True)
class PackageSummary:
    path: Path
    article_id: int
    url: str
    captures: int
    key_fingerprint: str


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def build_package(
    db: Database, url: str, output: Path, key: SigningKey, *, article_id: int | None = None
) -> PackageSummary:
    """Write the signed package of the article at ``url`` (or with ``article_id``)."""
    if not output.parent.is_dir():
        raise EvidenceError(f"cannot write {output}: folder {output.parent} does not exist")
    with db.session() as session, tempfile.TemporaryDirectory(prefix="brwatch-wacz-") as work:
        article = _article(session, url, article_id)
        warc_path = Path(work) / "captures.warc.gz"
        with warc_path.open("wb") as handle:
            writer = SnapshotWarcWriter(
                handle,
                {
                    "format": "WARC File Format 1.1",
                    "description": f"brwatch evidence: every capture of {article.canonical_url}",
                },
            )
            query = snapshot_query().where(Snapshot.article_id == article.id)
            record_ids = {
                row.id: writer.add(row)
                for row in stream_snapshots(session, query.order_by(Snapshot.fetched_at))
            }
        if not record_ids:
            raise EvidenceError(f"{article.canonical_url} has no stored capture to package")
        snapshots = sorted(article.snapshots, key=lambda s: (s.fetched_at, s.id))
        files = {
            "evidence/article.json": _json(record.article_document(article)),
            "evidence/verdict.json": _json(record.verdict_document(session, article)),
            "evidence/captures.json": _json(record.captures_document(snapshots, record_ids)),
            "evidence/attribution.json": _json(record.attribution_document(session, article.id)),
            "evidence/decisions.json": _json(record.decisions_document(session, article.id)),
        }
        pages = _pages(article, snapshots)
        with atomic_output(output) as handle:
            _write_wacz(handle, warc_path, files, pages, article, key)
        return PackageSummary(
            output, article.id, article.canonical_url, len(record_ids), fingerprint(key.public)
        )


def _article(session: Session, url: str, article_id: int | None) -> Article:
    article = session.get(Article, article_id) if article_id else find_article(session, url)
    if article is None:
        raise EvidenceError(f"no stored article at {url or article_id}")
    return article


def _pages(article: Article, snapshots: list[Snapshot]) -> bytes:
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Captures"}]
    lines += [
        {
            "id": f"snapshot-{snapshot.id}",
            "url": snapshot.url,
            "ts": warc_date(snapshot.fetched_at),
            "title": article.title or snapshot.url,
        }
        for snapshot in snapshots
    ]
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode() + b"\n"


def _write_wacz(
    handle: Any,
    warc_path: Path,
    files: dict[str, bytes],
    pages: bytes,
    article: Article,
    key: SigningKey,
) -> None:
    with zipfile.ZipFile(handle, "w") as wacz:
        index_buffer = BytesIO()
        text = TextIOWrapper(index_buffer, "utf-8", write_through=True)
        # WARCs and the compressed index are stored, not deflated, as the WACZ spec asks.
        with wacz.open(zipfile.ZipInfo("indexes/index.cdx.gz", _zip_time()), "w") as data:
            indexer = WACZIndexer(
                text,
                [str(warc_path)],
                sort=True,
                post_append=True,
                compress=data,
                lines=1024,
                digest_records=True,
                fields="referrer,req.http:cookie",
                data_out_name="index.cdx.gz",
                hash_type="sha256",
                main_url=article.canonical_url,
                main_ts=None,
                detect_pages=False,
                passed_pages_dict={},
                extract_text=False,
                signing_url=None,
                signing_token=None,
                split_seeds=False,
            )
            # py-wacz prints its progress; a library call must not write to our stdout.
            with contextlib.redirect_stdout(io.StringIO()):
                indexer.process_all()
        wacz.writestr(_deflated("indexes/index.idx"), index_buffer.getvalue())
        wacz.write(warc_path, WARC_NAME)
        wacz.writestr(_deflated("pages/pages.jsonl"), pages)
        for name, content in files.items():
            wacz.writestr(_deflated(name), content)
        digests = {WARC_NAME: _file_sha256(warc_path)}
        digests |= {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
        manifest = "".join(f"{digest}  {name}\n" for name, digest in digests.items())
        wacz.writestr(_deflated(MANIFEST_NAME), manifest.encode())
        options = SimpleNamespace(
            title=f"Evidence: {article.title or article.canonical_url}",
            desc=f"brwatch evidence package for {article.canonical_url} (article {article.id})",
            date=None,
        )
        datapackage = indexer.generate_datapackage(options, wacz).encode("utf-8")
        wacz.writestr(_deflated("datapackage.json"), datapackage)
        digest = json.loads(indexer.generate_datapackage_digest(datapackage))
        created = json.loads(datapackage)["created"]
        # Every field is checked on verification (verify.py), so no byte of it goes unchecked.
        digest["signedData"] = {
            "hash": digest["hash"],
            "created": created,
            "signature": key.sign(digest["hash"]),
            "publicKey": key.public_key_b64(),
        }
        wacz.writestr(_deflated("datapackage-digest.json"), json.dumps(digest, indent=2))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _zip_time() -> tuple[int, int, int, int, int, int]:
    return datetime.now(UTC).timetuple()[:6]


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
