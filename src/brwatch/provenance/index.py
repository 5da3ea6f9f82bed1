"""MinHash signatures and the LSH index over them.

Signatures are stored in the ``fingerprints`` table (the truth, shared by every process); each
process keeps an in-memory LSH (:mod:`brwatch.provenance.lsh`) built from that table, topped up
with rows other processes added since (:meth:`ReprintIndex.refresh`).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from brwatch.provenance.lsh import CompactLSH
from brwatch.provenance.shingles import MIN_SHINGLES, shingles
from brwatch.storage import Database
from brwatch.storage.models import Fingerprint

# datasketch (with scipy) takes about a second to import: only code that hashes pays for it,
# not every CLI verb that merely imports this package.
if TYPE_CHECKING:
    from datasketch import LeanMinHash

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
# Estimated Jaccard similarity of shingle sets at and above which two texts are copies.
THRESHOLD = 0.5
_DTYPE = np.dtype("<u4")


def _hash32(data: bytes) -> int:
    # CRC-32 (C speed) rather than datasketch's SHA-1: half the cost per shingle, and the
    # affine permutations that follow spread its values just as well for set similarity.
    return zlib.crc32(data)


def signature(text: str) -> LeanMinHash | None:
    """The MinHash of a text, or None when it is too short to compare."""
    items = shingles(text)
    if len(items) < MIN_SHINGLES:
        return None
    from datasketch import LeanMinHash, MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=_hash32)
    minhash.update_batch([s.encode("utf-8") for s in items])
    return LeanMinHash(minhash)


def to_bytes(minhash: LeanMinHash) -> bytes:
    return np.asarray(minhash.hashvalues, dtype=_DTYPE).tobytes()


def fingerprint_text(title: str | None, text: str | None) -> str:
    """What an article's fingerprint is computed from."""
    return "\n".join(filter(None, [title, text]))


def fingerprint_bytes(text: str) -> bytes | None:
    """The stored form of a text's signature (what a crawl worker hands to the store)."""
    minhash = signature(text)
    return None if minhash is None else to_bytes(minhash)


def values_from_bytes(data: bytes) -> np.ndarray:
    """A stored signature as its ``uint32`` values, without building a MinHash object."""
    values = np.frombuffer(data, dtype=_DTYPE)
    if values.size != NUM_PERM:
        raise ValueError(f"fingerprint has {values.size} values, expected {NUM_PERM}")
    return values.astype(np.uint32, copy=False)


def from_bytes(data: bytes) -> LeanMinHash:
    return _lean(values_from_bytes(data))


def _lean(values: np.ndarray) -> LeanMinHash:
    from datasketch import LeanMinHash

    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


def _values(minhash: LeanMinHash) -> np.ndarray:
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


class ReprintIndex:
    """Near-duplicate lookup: article id -> MinHash, LSH candidates verified by Jaccard."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = CompactLSH(threshold, NUM_PERM)
        self._synced_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._lsh)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._lsh

    @property
    def synced_at(self) -> datetime | None:
        return self._synced_at

    def get(self, article_id: int) -> LeanMinHash | None:
        values = self._lsh.values(article_id)
        return None if values is None else _lean(values.copy())

    def add(self, article_id: int, minhash: LeanMinHash) -> None:
        """Insert or replace the signature of an article."""
        self.add_values(article_id, _values(minhash))

    def add_values(self, article_id: int, values: np.ndarray) -> None:
        self._lsh.add(article_id, values)

    def remove(self, article_id: int) -> None:
        self._lsh.remove(article_id)

    def similar(self, minhash: LeanMinHash, exclude: int | None = None) -> list[tuple[int, float]]:
        """Articles whose estimated Jaccard with ``minhash`` reaches the threshold, best first."""
        return self.similar_values(_values(minhash), exclude)

    def similar_values(
        self, values: np.ndarray, exclude: int | None = None
    ) -> list[tuple[int, float]]:
        return self._lsh.similar(values, exclude)

    # -- the fingerprints table -------------------------------------------------------------

    def load(self, db: Database) -> ReprintIndex:
        """Add every stored fingerprint (used at start, and by :meth:`refresh`)."""
        self._load_rows(db, since=None)
        return self

    def refresh(self, db: Database) -> int:
        """Add fingerprints stored (by any process) since the last load; returns how many."""
        return self._load_rows(db, since=self._synced_at)

    def _load_rows(self, db: Database, since: datetime | None) -> int:
        started = datetime.now(UTC)
        query = select(Fingerprint.article_id, Fingerprint.minhash)
        if since is not None:
            # A margin for clock skew between writers and for transactions in flight.
            query = query.where(Fingerprint.created_at >= since - timedelta(minutes=5))
        ids: list[int] = []
        rows: list[np.ndarray] = []
        with db.session() as session:
            for article_id, data in session.execute(query.execution_options(yield_per=5000)):
                values = np.frombuffer(data, dtype=_DTYPE)
                if values.size != NUM_PERM:
                    continue  # another signature scheme: re-indexed when next linked
                ids.append(article_id)
                rows.append(values)
        if since is None and ids:
            self._lsh.add_many(np.array(ids, dtype=np.int64), np.stack(rows))
        else:
            # A top-up: a handful of rows, most already known; no bulk rebuild for them.
            fresh = [
                (article_id, values)
                for article_id, values in zip(ids, rows, strict=True)
                if (known := self._lsh.values(article_id)) is None
                or not np.array_equal(known, values)
            ]
            for article_id, values in fresh:
                self._lsh.add(article_id, values)
            ids = [article_id for article_id, _ in fresh]
        self._synced_at = started
        return len(ids)

    @classmethod
    def from_database(cls, db: Database, **kwargs: Any) -> ReprintIndex:
        return cls(**kwargs).load(db)


def save_fingerprint(db: Database, article_id: int, minhash: LeanMinHash) -> None:
    with db.session() as session:
        save_fingerprints(session, {article_id: to_bytes(minhash)})


def save_fingerprints(session: Session, fingerprints: Mapping[int, bytes]) -> None:
    """Insert or replace stored signatures (replaced ones count as new for other processes'
    :meth:`ReprintIndex.refresh`)."""
    if not fingerprints:
        return
    ids = list(fingerprints)
    session.execute(delete(Fingerprint).where(Fingerprint.article_id.in_(ids)))
    now = datetime.now(UTC)
    session.execute(
        insert(Fingerprint),
        [{"article_id": i, "minhash": data, "created_at": now} for i, data in fingerprints.items()],
    )


# How stale a shared index may be before it looks for other processes' new fingerprints.
REFRESH_EVERY = timedelta(seconds=10)
_shared: dict[str, ReprintIndex] = {}
_shared_lock = threading.Lock()


def shared_index(db: Database) -> ReprintIndex:
    """One index per database per process, loaded on first use and refreshed on later uses."""
    with _shared_lock:
        index = _shared.get(db.url)
        if index is None:
            index = _shared[db.url] = ReprintIndex.from_database(db)
            return index
    if index.synced_at is None or datetime.now(UTC) - index.synced_at > REFRESH_EVERY:
        index.refresh(db)
    return index


def reset_shared_indexes(urls: Iterable[str] | None = None) -> None:
    """Forget cached indexes (tests that reuse a database URL after truncating it)."""
    with _shared_lock:
        for url in list(urls) if urls is not None else list(_shared):
            _shared.pop(url, None)
