"""VENDORED: trafilatura's extraction cascade for brwatch's settings — the same text, less work
per page. Derived from trafilatura 2.3.1 (core.bare_extraction, trafilatura_sequence; Apache
License 2.0, copyright Adrien Barbaresi and contributors: LICENSE.trafilatura beside this file).
It calls trafilatura's private functions, so brwatch imports it guarded
(brwatch.extract.body): if this trafilatura lacks them, or is another version, the public
``trafilatura.bare_extraction`` runs instead and gives the same text, slower.

`trafilatura.bare_extraction` spends most of its time on work whose outcome is known in advance
for brwatch's options (`fast`, comments off). This module runs the same steps, with trafilatura's
own functions, in the same order, and skips only what cannot change the result:

- the options object is built once per settings, not per page (its constructor reads the
  configuration file's values each time);
- the raw-tree prunes (infinite-scroll containers, comment sections) are XPath expressions that
  call a Python regex for every element; they can only match when some class or id of the page
  matches that regex, which one search over all class and id values tells first; comment
  sections, found on half the pages, are then selected by a loop over the candidate tags;
- trafilatura copies the page four times (to prune it, to clean it, the cleaned tree as a
  backup that only the non-fast comparison reads, and again as a backup for its wild-text
  recovery); here it is copied once, and the pruned or cleaned tree is rebuilt on the pages
  whose extraction comes up short and needs it;
- the recall escalation compares the extracted length with the page's text length
  (`html2txt`, a copy of the page and another regex per element); a cheap upper bound of
  that length settles the comparison on most pages, and the exact length is computed only
  when it cannot, its cookie-banner regex only when a class or id can match it.

The text is exactly what `bare_extraction` returns; `tests/test_extract_cascade.py` compares
both on the article and Chinese corpora and checks each shortcut on its own. Another
trafilatura version, changed prune expressions, or options this module does not cover
(fallback extractors, comments) go through `bare_extraction` itself.
"""

from __future__ import annotations

import re
from copy import copy

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import core as trafilatura_core
from trafilatura import main_extractor
from trafilatura.baseline import _BLOCK_ELEMS, _spaced_text, baseline
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.settings import (
    _COOKIE_CONSENT_RE,
    BASIC_CLEAN_XPATH,
    MIN_DUPLICATE_LENGTH,
    Extractor,
)
from trafilatura.utils import SPACING_PROTECTED, text_chars_test
from trafilatura.xml import delete_element, xmltotxt
from trafilatura.xpaths import (
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    REMOVE_COMMENTS_XPATH,
)

# The version whose bare_extraction / trafilatura_sequence this module follows step by step.
FOLLOWED_VERSION = "2.3.1"
SAME_VERSION = trafilatura.__version__ == FOLLOWED_VERSION

_CLASS_AND_ID = etree.XPath("//@class|//@id", smart_strings=False)
# For each raw-tree prune expression (keyed by its exact text, so a changed expression is
# simply evaluated): a regex that some class or id value must match for the expression to
# select anything. Values are joined with newlines and searched with re.M, so a ^ anchored at
# the start of a value matches there (and, harmlessly, after a newline inside a value).
_COMMENTS_HINT = re.compile(
    r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)|(?:article|post)-comments", re.M
)
_PRUNE_HINTS: dict[str, re.Pattern[str]] = {
    RAW_TREE_PRUNE_XPATH[0].path: re.compile(r"mvp-post-add-(?:box|wrap)|infinite-?scroll"),
    RAW_TREE_PRUNE_XPATH[1].path: re.compile(r"elementor-share-buttons"),
    REMOVE_COMMENTS_AND_LISTS_XPATH[0].path: _COMMENTS_HINT,
}
# The expressions the hints (and the comment-section loop below) were written for, whitespace
# collapsed; any other text means trafilatura changed them, and bare_extraction runs instead.
_FOLLOWED_PRUNES = (
    ".//*[self::div or self::section or self::aside]["
    " re:test(@id, 'mvp-post-add-(?:box|wrap)|infinite-?scroll') or"
    " re:test(@class, 'mvp-post-add-(?:box|wrap)|infinite-?scroll')]["
    " not(.//h1) or re:test(@id, 'mvp-post-add-(?:box|wrap)')"
    " or re:test(@class, 'mvp-post-add-(?:box|wrap)')]",
    ".//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]",
    ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul]["
    " re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or"
    " re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')]["
    " not(self::ol or self::ul) or re:test(@id, '^(?:[Cc]omment(?!ary)|comol)')"
    " or re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')]",
)
HINTS_MATCH = (
    tuple(
        " ".join(expression.path.split())
        for expression in (*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH)
    )
    == _FOLLOWED_PRUNES
)


# html2txt's basic_cleaning, split in two: the tag and footer part (plain XPath, fast), and the
# cookie-banner part, whose regex call per element only runs when some class or id can match.
_PLAIN_CLEAN_PATH, _, _COOKIE_CLEAN_PATH = BASIC_CLEAN_XPATH.path.partition("|.//*[re:test(")
_COOKIE_CLEAN_PATH = ".//*[re:test(" + _COOKIE_CLEAN_PATH
_PLAIN_CLEAN = etree.XPath(_PLAIN_CLEAN_PATH)
_COOKIE_CLEAN = etree.XPath(
    _COOKIE_CLEAN_PATH, namespaces={"re": "http://exslt.org/regular-expressions"}
)
_COOKIE_HINT = re.compile(_COOKIE_CONSENT_RE, re.IGNORECASE)
_COOKIE_TESTS = " or ".join(
    f"re:test(@{name}, '{_COOKIE_CONSENT_RE}', 'i')" for name in ("class", "id")
)
CLEAN_SPLIT_MATCHES = (
    f".//*[{_COOKIE_TESTS}]" == _COOKIE_CLEAN_PATH and "re:" not in _PLAIN_CLEAN_PATH
)


def covers(fast: bool, include_comments: bool) -> bool:
    """Whether `main_text` follows trafilatura for these options (else use bare_extraction)."""
    covered = SAME_VERSION and HINTS_MATCH and CLEAN_SPLIT_MATCHES
    return covered and fast and not include_comments


def main_text(tree: HtmlElement, url: str | None, template: Extractor) -> str | None:
    """bare_extraction(tree, url, fast=True, include_comments=False, ...).text, or None where it
    returns None. `tree` is left intact. Raises what trafilatura raises except ValueError and
    TypeError, which bare_extraction turns into None."""
    if not isinstance(tree, HtmlElement):
        return None  # bare_extraction rejects what is not an lxml.html tree
    url = url or None
    options = copy(template)
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    try:
        text_body, text = _Cascade(tree, options, url).run()
        if options.max_tree_size:  # unset in trafilatura's default configuration
            if len(text_body) > options.max_tree_size:
                etree.strip_tags(text_body, "hi")
            if len(text_body) > options.max_tree_size:
                return None
        if len(text) < options.min_output_size and options.min_output_comm_size > 0:
            return None
    except (TypeError, ValueError):
        return None
    return xmltotxt(text_body, options.formatting)


def _prune(tree: HtmlElement, expressions: list[etree.XPath], attributes: str) -> HtmlElement:
    """prune_unwanted_nodes, skipping the expressions that cannot select anything here and
    selecting comment sections without the XPath's per-element regex calls."""
    for expression in expressions:
        hint = _PRUNE_HINTS.get(expression.path)
        if hint is not None and not hint.search(attributes):
            continue
        select = _SELECTORS.get(expression.path, expression)
        for element in select(tree):
            delete_element(element)  # the tail text is kept, as prune_unwanted_nodes does
    return tree


# REMOVE_COMMENTS_AND_LISTS_XPATH in Python: the same elements, in the same (document) order.
_COMMENT_TAGS = ("div", "list", "section", "details", "ol", "ul")
_COMMENT_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENT_LIST_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")
_COMMENT_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")


def _comment_sections(tree: HtmlElement) -> list[HtmlElement]:
    found = []
    for element in tree.iter(*_COMMENT_TAGS):
        if element is tree:
            continue  # .//* starts below the root
        id_value, class_value = element.get("id"), element.get("class")
        by_class = class_value is not None and _COMMENT_CLASS.search(class_value) is not None
        if by_class or (id_value is not None and _COMMENT_ID.search(id_value)):
            is_list = element.tag in ("ol", "ul")
            if not is_list or by_class or (id_value and _COMMENT_LIST_ID.search(id_value)):
                found.append(element)
    return found


_SELECTORS = {REMOVE_COMMENTS_AND_LISTS_XPATH[0].path: _comment_sections}


class _Cascade:
    """trafilatura_sequence for fast=True and comments off, on the caller's intact tree.

    trafilatura copies the page four times: once to prune it, once more to clean it (the
    pruned tree is kept for the baseline and the escalation), the cleaned tree as a backup for
    the non-fast comparison, and again as a backup for the wild-text recovery. Here the page
    is copied once and pruned and cleaned in place; the pruned or cleaned tree is rebuilt from
    the page, by the same deterministic steps, on the pages whose extraction comes up short
    and needs it.
    """

    def __init__(self, page: HtmlElement, options: Extractor, url: str | None) -> None:
        self.page, self.options, self.url = page, options, url
        self.is_forum = trafilatura_core._forum_thread_page(page)
        self.attributes = "\n".join(_CLASS_AND_ID(page))
        self._pruned_tree: HtmlElement | None = None

    def pruned(self) -> HtmlElement:
        """A copy of the page after trafilatura's raw-tree prunes."""
        tree = _prune(copy(self.page), RAW_TREE_PRUNE_XPATH, self.attributes)
        if self.options.focus == "precision" or not self.is_forum:
            tree = _prune(tree, REMOVE_COMMENTS_AND_LISTS_XPATH, self.attributes)
        return tree

    def pruned_kept(self) -> HtmlElement:
        """The pruned tree that baseline, html2txt and the recall retry share (they copy it)."""
        if self._pruned_tree is None:
            self._pruned_tree = self.pruned()
        return self._pruned_tree

    def cleaned(self) -> HtmlElement:
        """_prepare_tree's cleaned tree (without its backup, read only by the non-fast path)."""
        options = self.options
        cleaned_tree = convert_tags(tree_cleaning(self.pruned(), options), options, self.url)
        if options.focus == "precision" and not self.is_forum:
            cleaned_tree = prune_unwanted_nodes(cleaned_tree, REMOVE_COMMENTS_XPATH)
        return cleaned_tree

    def run(self) -> tuple[etree._Element, str]:
        options = self.options
        text_body, text = self.extract_content(self.cleaned())

        if len(text) < options.min_extracted_size and options.focus != "precision":
            baseline_body, baseline_text, baseline_length = baseline(self.pruned_kept())
            if baseline_length > len(text):
                text_body, text = baseline_body, baseline_text

        share = trafilatura_core.ESCALATION_PAGE_SHARE
        if (
            options.focus == "balanced"
            and 0 < len(text) < trafilatura_core.ESCALATION_MAX_LENGTH
            and len(text) < share * page_text_bound(self.page)
            and len(text) < share * page_text_length(self.pruned_kept(), self.attributes)
        ):
            recall_options = copy(options)
            recall_options.focus = "recall"
            retry_text = ""
            try:
                retry_body, retry_text = trafilatura_core._recall_retry(
                    self.pruned_kept(), recall_options, self.url
                )
            except Exception:  # as trafilatura does: a failed retry keeps the first result
                retry_text = ""
            if len(retry_text) >= options.min_extracted_size and len(
                retry_text
            ) > trafilatura_core.ESCALATION_ACCEPT_RATIO * len(text):
                text_body, text = retry_body, retry_text
        return text_body, text

    def extract_content(self, cleaned_tree: HtmlElement) -> tuple[etree._Element, str]:
        """main_extractor.extract_content, its backup of the cleaned tree rebuilt only when the
        wild-text recovery runs (a short or empty result), instead of copied on every page."""
        options = self.options
        order = list(cleaned_tree.iter())
        result_body, temp_text, potential_tags = main_extractor._extract(cleaned_tree, options)
        if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
            backup_tree = self.cleaned()
            consumed: set[etree._Element] = {
                twin
                for elem, twin in zip(order, backup_tree.iter(), strict=True)
                if elem.tag == "done"
            }
            result_body = main_extractor.recover_wild_text(
                backup_tree, result_body, options, potential_tags, consumed
            )
            temp_text = " ".join(result_body.itertext()).strip()
        previous = None
        for element in list(result_body):
            current = main_extractor._elem_text(element)
            if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
                delete_element(element, keep_tail=False)
            else:
                previous = current
        etree.strip_elements(result_body, "done")
        etree.strip_tags(result_body, "div")
        for linebreak in result_body.iter("lb"):
            if (
                linebreak.tail
                and not text_chars_test(linebreak.tail)
                and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
            ):
                linebreak.tail = None
        return result_body, temp_text


def page_text_length(tree: HtmlElement, attributes: str) -> int:
    """len(html2txt(tree)), the cookie-banner regex evaluated only when `attributes` (the class
    and id values of the page) can match it. `tree` is left intact."""
    tree = copy(tree)
    body = tree.find(".//body")
    if body is None:
        body = tree
    selected = _PLAIN_CLEAN(body)
    if _COOKIE_HINT.search(attributes):
        selected += _COOKIE_CLEAN(body)
    for element in selected:
        delete_element(element)  # a second delete of the same element finds no parent: no-op
    return len(_spaced_text(body))


def page_text_bound(tree: HtmlElement) -> int:
    """An upper bound of len(html2txt(tree)), without copying or cleaning the tree.

    html2txt keeps the text of <body> minus the elements basic_cleaning deletes (scripts and
    styles among them), puts a space at the start and end of each block element, removes
    control characters and joins the words with single spaces: len = non-space characters +
    words - 1. Deleting text and control characters never adds characters or words; each
    inserted space splits at most one word.
    """
    body = tree.find(".//body")
    if body is None:
        body = tree
    words = body.text_content().split()
    script_characters = sum(
        len("".join(element.text_content().split()))
        for element in body.iterdescendants("script", "style")
    )
    block_edges = 2 * sum(1 for _ in body.iter(*_BLOCK_ELEMS))
    return max(sum(map(len, words)) - script_characters + len(words) - 1 + block_edges, 0)
