"""The page text from a lexbor parse of the raw HTML (selectolax), for pages nobody has parsed
yet: lexbor parses ~3x faster than lxml and joins the text nodes in C.

It lists the same text nodes as the lxml page text (everything under <body> outside scripts
and styles, in document order) and reads the same ancestors, so the verdict is the same;
tests/test_rights_backends.py holds both to that over the labelled corpus pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import accumulate, compress
from typing import Any

from brwatch.rights.page import PageText

# Between text nodes in lexbor's joined text: the HTML parser drops NUL from body text, so it
# cannot occur inside a node (pages whose markup holds NUL are read with lxml; see reader.py).
_NODE_SEPARATOR = "\0"
_TEXT_TAG = "-text"
# What lexbor's skip_empty leaves out: nodes of nothing but HTML's ASCII whitespace (the
# markup's indentation, 70% of the nodes), skipped in C rather than made into strings.
_ASCII_SPACE = " \t\n\f\r"


class LexborPageText(PageText):
    """The page text of a lexbor <body> whose scripts and styles are already removed. Text
    nodes of ASCII whitespace only are not listed (no rule reads them)."""

    __slots__ = ("body",)

    def __init__(self, body: Any) -> None:
        super().__init__(_text_nodes(body, skip_empty=True))
        self.body = body

    def _whole_text_starts(self) -> list[int]:
        # Rarely needed (a hit outside footers and articles): the walk again, blanks included.
        every = _text_nodes(self.body, skip_empty=False)
        starts = [0, *accumulate(len(string) + 1 for string in every)]
        listed = compress(starts, (string.strip(_ASCII_SPACE) for string in every))
        return [*listed, starts[-1]]

    def _texts_backwards(self) -> Iterator[tuple[str, Any]]:
        if self.body is None:
            return
        # An explicit stack: hostile pages nest deeper than Python's recursion limit.
        stack = [self.body]
        while stack:
            node = stack.pop()
            tag = node.tag
            if tag == _TEXT_TAG:
                yield node.text_content, node
            elif tag and tag[0] != "-":  # comments and the like hold no text nodes
                stack.extend(node.iter(include_text=True, skip_empty=True))

    def _nodes_from_start(self, indexes: set[int]) -> dict[int, Any]:
        found: dict[int, Any] = {}
        if self.body is None:
            return found
        last = max(indexes)
        index = -1
        for node in self.body.traverse(include_text=True, skip_empty=True):
            if node.tag != _TEXT_TAG:
                continue
            index += 1
            if index in indexes and node.text_content == self.nodes[index]:
                found[index] = node
            if index >= last:
                break
        return found

    def ancestry(self, node: Any) -> Iterator[tuple[str, Callable[[str], str | None]]]:
        element = node.parent
        while element is not None and element.tag != "-document":
            yield element.tag or "", element.attrs.get
            element = element.parent


def _text_nodes(body: Any, *, skip_empty: bool) -> list[str]:
    joined = body.text(separator=_NODE_SEPARATOR, skip_empty=skip_empty) if body is not None else ""
    return joined.split(_NODE_SEPARATOR) if joined else []
