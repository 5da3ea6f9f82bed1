"""Provenance: near-duplicate detection across sources and which copy is the original."""

from brwatch.provenance.index import (
    ReprintIndex,
    from_bytes,
    reset_shared_indexes,
    save_fingerprint,
    shared_index,
    signature,
    to_bytes,
)
from brwatch.provenance.links import Copy, copies_of, find_article, link_batch, link_reprints
from brwatch.provenance.reuse import refresh_reuse, refresh_stale
from brwatch.provenance.rights import combine_rights, effective_rights, stricter
from brwatch.provenance.shingles import shingles

__all__ = [
    "Copy",
    "ReprintIndex",
    "combine_rights",
    "copies_of",
    "effective_rights",
    "find_article",
    "from_bytes",
    "link_batch",
    "link_reprints",
    "refresh_reuse",
    "refresh_stale",
    "reset_shared_indexes",
    "save_fingerprint",
    "shared_index",
    "shingles",
    "signature",
    "stricter",
    "to_bytes",
]
