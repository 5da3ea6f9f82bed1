"""The compact LSH finds what datasketch's MinHashLSH finds, through merges, removals,
replacements and compaction."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from brwatch.provenance import lsh as lsh_module
from brwatch.provenance.index import NUM_PERM, SCHEME, SEED, THRESHOLD
from brwatch.provenance.lsh import CompactLSH


def _signatures(n: int, seed: int = 0) -> np.ndarray:
    """Random signatures; every tenth starts a family of copies sharing 60-95% of values."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    for start in range(0, n - 4, 10):
        for copy in range(start + 1, start + 4):
            keep = rng.random(NUM_PERM) < rng.uniform(0.6, 0.95)
            values[copy] = np.where(keep, values[start], values[copy])
    return values


def _datasketch_answer(
    lsh: MinHashLSH,
    values: np.ndarray,
    live: dict[int, np.ndarray],
    query: np.ndarray,
    exclude: int,
) -> list[tuple[int, float]]:
    found = []
    for key in lsh.query(LeanMinHash(seed=SEED, hashvalues=query, scheme=SCHEME)):
        if key == exclude or key not in live:
            continue
        score = float((live[key] == query).mean())
        if score >= THRESHOLD:
            found.append((key, score))
    return sorted(found, key=lambda ks: (-ks[1], ks[0]))


def test_parameters_come_from_datasketch() -> None:
    reference = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert CompactLSH(THRESHOLD, NUM_PERM).bands == reference.b
    assert CompactLSH(THRESHOLD, NUM_PERM).rows == reference.r


def test_same_answers_as_datasketch_through_merges_removals_and_replacements(monkeypatch) -> None:
    monkeypatch.setattr(lsh_module, "MERGE_EVERY", 97)  # many merges in a small test
    values = _signatures(1200)
    compact = CompactLSH(THRESHOLD, NUM_PERM)
    reference = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    live: dict[int, np.ndarray] = {}
    for key, row in enumerate(values[:1000]):
        compact.add(key, row)
        reference.insert(key, LeanMinHash(seed=SEED, hashvalues=row, scheme=SCHEME))
        live[key] = row
    # Remove every third family head; replace some members with other signatures.
    for key in range(0, 1000, 30):
        compact.remove(key)
        reference.remove(key)
        del live[key]
    for key, row in zip(range(5, 1000, 50), values[1000:], strict=False):
        compact.add(key, row)
        reference.remove(key)
        reference.insert(key, LeanMinHash(seed=SEED, hashvalues=row, scheme=SCHEME))
        live[key] = row
    assert len(compact) == len(live)
    pairs = 0
    for key, row in live.items():
        answer = compact.similar(row, exclude=key)
        assert answer == _datasketch_answer(reference, values, live, row, key)
        pairs += len(answer)
    assert pairs > 300  # the families were found, not just nothing on both sides


def test_bulk_loading_and_compaction_keep_the_answers(monkeypatch) -> None:
    values = _signatures(500, seed=3)
    bulk = CompactLSH(THRESHOLD, NUM_PERM)
    bulk.add_many(np.arange(500), values)
    one_by_one = CompactLSH(THRESHOLD, NUM_PERM)
    for key, row in enumerate(values):
        one_by_one.add(key, row)
    for key in range(0, 500, 7):
        assert bulk.similar(values[key], key) == one_by_one.similar(values[key], key)
    # Replacing most signatures twice forces a compaction; stale rows must not answer.
    monkeypatch.setattr(lsh_module, "MERGE_EVERY", 50)
    monkeypatch.setattr(lsh_module, "_CHUNK", 100)
    for _ in range(2):
        for key in range(400):
            bulk.add(key, values[(key + 1) % 500])
    assert len(bulk) == 500 and bulk._used < 1300
    for key in range(400):
        assert (bulk.values(key) == values[(key + 1) % 500]).all()
    assert bulk.similar(values[1], exclude=None)[0] == (0, 1.0)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_nothing_below_the_threshold_is_returned(threshold: float) -> None:
    values = _signatures(300, seed=7)
    index = CompactLSH(threshold, NUM_PERM)
    index.add_many(np.arange(300), values)
    for key in range(0, 300, 5):
        for other, score in index.similar(values[key], key):
            assert score >= threshold and other != key
            assert score == pytest.approx(float((values[other] == values[key]).mean()))
