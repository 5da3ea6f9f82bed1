"""A compact MinHash LSH: band keys in sorted numpy arrays instead of Python sets.

datasketch's in-memory ``MinHashLSH`` keeps one Python set per band bucket: about 10 kB per
article (1 GB at 100,000 articles) and ~100 µs per insert, so rebuilding it at start took half
a minute. Here each band is a sorted ``uint64`` key array with the matching signature rows
(16 bytes per article per band), new entries wait in small dicts and are merged one band at a
time, and signatures live in one ``uint32`` matrix. The banding parameters come from
datasketch's own optimiser for the chosen threshold, so candidates are the same as with
``MinHashLSH``; every candidate is then verified by its estimated Jaccard similarity.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from functools import cache

import numpy as np

# A band's pending (unsorted) entries are merged into its sorted arrays once this many wait.
MERGE_EVERY = 2_000
# Band keys are computed this many signatures at a time, to bound temporary memory.
_CHUNK = 10_000
# Odd 64-bit multipliers that combine a band's rows into one 64-bit key. Band keys are never
# stored, so they only need to be the same throughout a process; a fixed seed keeps runs equal.
_MIXERS = np.random.default_rng(20261129).integers(0, 2**63, size=256, dtype=np.uint64) * 2 + 1


# datasketch's optimiser's answer for brwatch's own setting (pinned by a test), so the storing
# process need not import datasketch and scipy (≈ 45 MB) to build its index.
_KNOWN_BANDS = {(0.5, 128): (25, 5)}


@cache
def band_parameters(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's optimiser picks for this threshold."""
    if (threshold, num_perm) in _KNOWN_BANDS:
        return _KNOWN_BANDS[threshold, num_perm]
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


class CompactLSH:
    """Keys (article ids) -> signatures (``uint32`` rows), with banded candidate lookup."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands, self.rows = band_parameters(threshold, num_perm)
        self._lock = threading.RLock()
        self._values = np.empty((0, num_perm), dtype=np.uint32)
        self._keys = np.empty(0, dtype=np.int64)  # row -> key, -1 once removed
        self._used = 0
        self._row_of: dict[int, int] = {}
        self._sorted_keys = [np.empty(0, dtype=np.uint64) for _ in range(self.bands)]
        self._sorted_rows = [np.empty(0, dtype=np.int64) for _ in range(self.bands)]
        self._pending: list[defaultdict[int, list[int]]] = [
            defaultdict(list) for _ in range(self.bands)
        ]
        self._pending_sizes = [0] * self.bands
        self._dead = 0  # rows of removed or replaced signatures

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (signatures, row keys, sorted bands)."""
        held: list[np.ndarray] = [self._values, self._keys, *self._sorted_keys, *self._sorted_rows]
        return sum(a.nbytes for a in held)

    def band_keys(self, values: np.ndarray) -> np.ndarray:
        """(n, num_perm) signatures -> (n, bands) 64-bit band keys."""
        width = self.bands * self.rows
        banded = values[:, :width].reshape(len(values), self.bands, self.rows).astype(np.uint64)
        return (banded * _MIXERS[: self.rows]).sum(axis=2, dtype=np.uint64)  # wraps mod 2^64

    def values(self, key: int) -> np.ndarray | None:
        row = self._row_of.get(key)
        return None if row is None else self._values[row]

    def _append(self, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Store signatures in new rows (growing the matrix by doubling); their row numbers."""
        needed = self._used + len(keys)
        if needed > len(self._values):
            capacity = max(needed, 2 * len(self._values), 1024)
            grown = np.empty((capacity, self.num_perm), dtype=np.uint32)
            grown[: self._used] = self._values[: self._used]
            grown_keys = np.full(capacity, -1, dtype=np.int64)
            grown_keys[: self._used] = self._keys[: self._used]
            self._values, self._keys = grown, grown_keys
        rows = np.arange(self._used, needed, dtype=np.int64)
        self._values[rows] = values
        self._keys[rows] = keys
        self._used = needed
        for key, row in zip(keys.tolist(), rows.tolist(), strict=True):
            self._row_of[key] = row
        return rows

    def _forget(self, key: int) -> None:
        row = self._row_of.pop(key, None)
        if row is not None:
            self._keys[row] = -1  # its band entries stay until a rebuild; queries skip them
            self._dead += 1

    def add(self, key: int, values: np.ndarray) -> None:
        """Insert or replace one signature in constant time (see :meth:`_merge_one_band`)."""
        with self._lock:
            self._forget(key)
            (row,) = self._append(np.array([key], dtype=np.int64), values[None, :]).tolist()
            for band, band_key in enumerate(self.band_keys(values[None, :])[0].tolist()):
                self._pending[band][band_key].append(row)
                self._pending_sizes[band] += 1
            if self._dead > max(len(self._row_of), _CHUNK):
                self._rebuild()  # more replaced rows than live ones: compact
            elif max(self._pending_sizes) >= MERGE_EVERY:
                self._merge_one_band()

    def add_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Insert many signatures at once (loading from the table): one vectorised rebuild."""
        with self._lock:
            for key in keys.tolist():
                self._forget(key)
            self._append(keys.astype(np.int64), values.astype(np.uint32))
            self._rebuild()

    def remove(self, key: int) -> None:
        with self._lock:
            self._forget(key)

    def _merge_one_band(self) -> None:
        """Move the fullest band's pending entries into its sorted arrays.

        One band per call: every add then pays for one insertion into one sorted array
        (a memory move of 16 bytes per indexed article, ~0.3 ms at 100,000), never for
        re-sorting all bands at once.
        """
        band = int(np.argmax(self._pending_sizes))
        pending = self._pending[band]
        keys = np.fromiter((k for k, rows in pending.items() for _ in rows), dtype=np.uint64)
        rows = np.fromiter((r for rows in pending.values() for r in rows), dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        at = np.searchsorted(self._sorted_keys[band], keys[order], side="right")
        self._sorted_keys[band] = np.insert(self._sorted_keys[band], at, keys[order])
        self._sorted_rows[band] = np.insert(self._sorted_rows[band], at, rows[order])
        pending.clear()
        self._pending_sizes[band] = 0

    def _rebuild(self) -> None:
        """Sort every band afresh from the live rows, dropping removed and replaced ones."""
        live = np.nonzero(self._keys[: self._used] >= 0)[0]
        if len(live) < self._used:
            live = self._compact(live)
        keys = np.empty((len(live), self.bands), dtype=np.uint64)
        for start in range(0, len(live), _CHUNK):
            chunk = live[start : start + _CHUNK]
            keys[start : start + len(chunk)] = self.band_keys(self._values[chunk])
        for band in range(self.bands):
            order = np.argsort(keys[:, band], kind="stable")
            self._sorted_keys[band] = keys[order, band]
            self._sorted_rows[band] = live[order]
            self._pending[band].clear()
            self._pending_sizes[band] = 0

    def _compact(self, live: np.ndarray) -> np.ndarray:
        """Keep only live rows (renumbered); the caller re-sorts the bands."""
        self._values = self._values[live].copy()
        self._keys = self._keys[live].copy()
        self._used = len(live)
        self._row_of = {key: row for row, key in enumerate(self._keys.tolist())}
        self._dead = 0
        return np.arange(self._used, dtype=np.int64)

    def similar(self, values: np.ndarray, exclude: int | None = None) -> list[tuple[int, float]]:
        """Keys sharing a band with ``values`` whose estimated Jaccard reaches the threshold."""
        with self._lock:
            rows: set[int] = set()
            for band, band_key in enumerate(self.band_keys(values[None, :])[0]):
                sorted_keys = self._sorted_keys[band]
                low = np.searchsorted(sorted_keys, band_key, side="left")
                high = np.searchsorted(sorted_keys, band_key, side="right")
                rows.update(self._sorted_rows[band][low:high].tolist())
                rows.update(self._pending[band].get(int(band_key), ()))
            if not rows:
                return []
            candidates = np.fromiter(rows, dtype=np.int64, count=len(rows))
            keys = self._keys[candidates]
            scores = (self._values[candidates] == values).mean(axis=1)
        keep = (keys >= 0) & (keys != (-2 if exclude is None else exclude))
        keep &= scores >= self.threshold
        found = [(int(k), float(s)) for k, s in zip(keys[keep], scores[keep], strict=True)]
        return sorted(found, key=lambda ks: (-ks[1], ks[0]))
