"""Stored snapshots as WARC records (ISO 28500), the format web archives and courts accept.

Each snapshot becomes a ``response`` record holding the status line and headers kept at fetch
time and the page's raw bytes exactly as stored (never re-encoded), dated with the fetch time,
with ``WARC-Payload-Digest`` set to the SHA-256 recorded when the page was fetched. A reader
(``warcio check``) recomputes the digest from the bytes, so any change to them shows. Beside it
a ``metadata`` record (JSON) holds the article's verdict and the discovery hints.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from brwatch import __version__
from brwatch.errors import BrwatchError
from brwatch.storage.models import Article, Snapshot

log = logging.getLogger(__name__)
# Rows fetched per round trip: bounded memory whatever the number of snapshots.
STREAM_BATCH = 200
RECORD_NAMESPACE = uuid.UUID("9c3c5a8e-5d0e-4d7a-9f57-3c1a2b7f0e11")
SOFTWARE = f"brwatch {__version__}"

SNAPSHOT_COLUMNS = (
    Snapshot.id,
    Snapshot.url,
    Snapshot.status,
    Snapshot.headers,
    Snapshot.html_gz,
    Snapshot.sha256,
    Snapshot.encoding,
    Snapshot.hints,
    Snapshot.fetched_at,
    Snapshot.article_id,
    Article.canonical_url,
    Article.source,
    Article.title,
    Article.rights,
    Article.ruleset,
    Article.review_state,
)


class EvidenceError(BrwatchError):
    """Evidence cannot be produced as asked; the message says what and where."""


@dataclass
class WarcSummary:
    snapshots: int = 0
    bytes: int = 0
    # Snapshots whose stored bytes no longer match the digest recorded at fetch time.
    mismatched: list[int] = field(default_factory=list)


def sha256_label(hex_digest: str) -> str:
    """The WARC form of a SHA-256 digest: 'sha256:' and base32, as web archives write it."""
    return "sha256:" + base64.b32encode(bytes.fromhex(hex_digest)).decode("ascii")


def hex_of_label(label: str) -> str:
    """The hex SHA-256 in a 'sha256:BASE32' WARC digest."""
    algorithm, _, value = label.partition(":")
    if algorithm.lower() != "sha256":
        raise ValueError(f"not a SHA-256 digest: {label!r}")
    return base64.b32decode(value).hex()


def warc_date(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_id(kind: str, snapshot_id: int, sha256: str) -> str:
    """Stable record ids: exporting the same database twice names each record alike."""
    return f"<urn:uuid:{uuid.uuid5(RECORD_NAMESPACE, f'{kind}:{snapshot_id}:{sha256}')}>"


def snapshot_query() -> Select[Any]:
    return select(*SNAPSHOT_COLUMNS).join(Article, Article.id == Snapshot.article_id)


def stream_snapshots(session: Session, query: Select[Any]) -> Iterator[Any]:
    yield from session.execute(query.execution_options(yield_per=STREAM_BATCH))


class SnapshotWarcWriter:
    """Writes a warcinfo record, then a response and a metadata record per snapshot."""

    def __init__(self, output: BinaryIO, info: dict[str, str]) -> None:
        self.writer = WARCWriter(output, gzip=True, warc_version="1.1")
        self.summary = WarcSummary()
        self.writer.write_record(
            self.writer.create_warcinfo_record("", {"software": SOFTWARE, **info})
        )

    def add(self, row: Any) -> str:
        """Write one snapshot row (``SNAPSHOT_COLUMNS``); returns its response record's id."""
        payload = gzip.decompress(row.html_gz)
        if hashlib.sha256(payload).hexdigest() != row.sha256:
            log.error("snapshot %s: stored bytes differ from the digest recorded at fetch", row.id)
            self.summary.mismatched.append(row.id)
        date = warc_date(row.fetched_at)
        response_id = record_id("response", row.id, row.sha256)
        status = int(row.status or 200)
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        http_headers = StatusAndHeaders(
            f"{status} {phrase}".strip(),
            [(str(name), str(value)) for name, value in (row.headers or {}).items()],
            protocol="HTTP/1.1",
        )
        response = self.writer.create_warc_record(
            row.url,
            "response",
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Record-ID": response_id,
                "WARC-Date": date,
                # The digest recorded at fetch time: a reader recomputing it proves the bytes.
                "WARC-Payload-Digest": sha256_label(row.sha256),
            },
        )
        self.writer.write_record(response)
        self.writer.write_record(
            self.writer.create_warc_record(
                row.url,
                "metadata",
                payload=io.BytesIO(_metadata(row)),
                warc_content_type="application/json",
                warc_headers_dict={
                    "WARC-Record-ID": record_id("metadata", row.id, row.sha256),
                    "WARC-Date": date,
                    "WARC-Concurrent-To": response_id,
                },
            )
        )
        self.summary.snapshots += 1
        self.summary.bytes += len(payload)
        return response_id


def _metadata(row: Any) -> bytes:
    document = {
        "snapshot_id": row.id,
        "article_id": row.article_id,
        "canonical_url": row.canonical_url,
        "source": row.source,
        "title": row.title,
        "snapshot_sha256": row.sha256,
        "encoding": row.encoding,
        # The verdict stored with the article now (from its newest snapshot, ruleset below).
        "rights": row.rights,
        "ruleset": row.ruleset,
        "review_state": row.review_state,
        "hints": row.hints or {},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
