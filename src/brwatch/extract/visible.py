"""The text a reader sees: text nodes of <body> outside scripts, styles and form options."""

from __future__ import annotations

from typing import Any

from lxml import etree

from brwatch.extract.metadata import clean_space

VISIBLE_PIECES = etree.XPath(
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::select) and not(ancestor::option)]"
)


class VisiblePieces:
    """The visible text pieces of one page, read from the tree once for every stage that
    needs them (the headline search and the dateline search both may)."""

    __slots__ = ("_pieces", "_tree")

    def __init__(self, tree: etree._Element) -> None:
        self._tree = tree
        self._pieces: list[Any] | None = None

    def __call__(self) -> list[Any]:
        if self._pieces is None:
            self._pieces = VISIBLE_PIECES(self._tree)
        return self._pieces


def visible_text(tree: etree._Element, visible: VisiblePieces | None = None) -> str:
    """All visible text of the page on one line, whitespace collapsed."""
    pieces = visible() if visible is not None else VISIBLE_PIECES(tree)
    return clean_space(" ".join(pieces))
