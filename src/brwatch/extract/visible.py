"""The text a reader sees: text nodes of <body> outside scripts, styles and form options."""

from __future__ import annotations

from lxml import etree

from brwatch.extract.metadata import clean_space

VISIBLE_PIECES = etree.XPath(
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::select) and not(ancestor::option)]"
)


def visible_text(tree: etree._Element) -> str:
    """All visible text of the page on one line, whitespace collapsed."""
    return clean_space(" ".join(VISIBLE_PIECES(tree)))
