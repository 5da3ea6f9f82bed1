"""Code derived from other projects, each file labelled with its origin and licence."""
