"""The vendored trafilatura cascade gives exactly bare_extraction's text, with less work.

The shortcuts it takes (skipped prunes, an upper bound before html2txt, rebuilt instead of
copied trees) are each checked on their own, then the whole against bare_extraction on the
shared corpora.
"""

from __future__ import annotations

import sys
from functools import cache

import lxml.html
import pytest
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.baseline import html2txt
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import body
from brwatch.extract._vendor import trafilatura_cascade as cascade
from brwatch.extract.body import BodySettings, _options, extract_body
from brwatch.extract.evaluation import article_benchmark, chinese_corpus
from tests.conftest import CORPORA

PARAGRAPHS = "".join(
    f"<p>Paragraph {n}: the Mombasa-Nairobi line carried more freight this quarter, the "
    "operator said, and plans a second daily service from March.</p>"
    for n in range(6)
)


@cache
def _corpus_trees() -> list[tuple[str, lxml.html.HtmlElement]]:
    pages = [(p.url, p.html) for p in article_benchmark(CORPORA / "article-extraction-benchmark")]
    pages += [("", p.html) for p in chinese_corpus(CORPORA / "chinese-web-content-extraction")]
    assert len(pages) == 181 + 63
    return [(url, parse_document(FetchedPage(url=url, body=html)).tree) for url, html in pages]


def _tree(html: str) -> lxml.html.HtmlElement:
    return parse_document(FetchedPage(url="https://example.org/a", body=html.encode())).tree


def _bare_text(tree: lxml.html.HtmlElement, url: str, settings: BodySettings) -> str | None:
    result = bare_extraction(
        tree,
        url=url or None,
        fast=settings.fast,
        favor_precision=settings.favor_precision,
        favor_recall=settings.favor_recall,
        include_comments=settings.include_comments,
        include_tables=settings.include_tables,
        with_metadata=False,
    )
    return result.text if result is not None else None


def test_the_installed_trafilatura_is_the_one_the_cascade_follows() -> None:
    # Fails after a trafilatura upgrade: extraction then falls back to bare_extraction (correct
    # but slower) until _vendor/trafilatura_cascade.py is compared with the new
    # trafilatura_sequence and updated.
    assert cascade.covers(fast=True, include_comments=False), cascade.FOLLOWED_VERSION
    assert not cascade.covers(fast=False, include_comments=False)
    assert not cascade.covers(fast=True, include_comments=True)


@pytest.mark.parametrize(
    "settings",
    [
        BodySettings(),
        BodySettings(favor_precision=True),
        BodySettings(favor_recall=True),
        BodySettings(include_tables=False),
    ],
    ids=["default", "precision", "recall", "no-tables"],
)
def test_same_text_as_bare_extraction_on_the_corpora(settings: BodySettings) -> None:
    trees = _corpus_trees()
    if settings != BodySettings():
        trees = trees[::4]  # the default on every page, the other options on a quarter
    different = [
        url or f"chinese page {n}"
        for n, (url, tree) in enumerate(trees)
        if cascade.main_text(tree, url, _options(settings)) != _bare_text(tree, url, settings)
    ]
    assert different == []


def test_the_page_tree_is_left_intact() -> None:
    tree = _tree(f"<html><body><div id='comments'><p>first!</p></div>{PARAGRAPHS}</body></html>")
    before = etree.tostring(tree)
    assert "Mombasa" in extract_body(tree, "https://example.org/a")
    assert etree.tostring(tree) == before


@pytest.mark.parametrize(
    "html",
    [
        f"<html><body>{PARAGRAPHS}</body></html>",
        "<html><body><p>a</p><p>b</p><div>c<div>d</div>e</div><br>f<li>g</li></body></html>",
        "<html><body>x<script>var a = 1; var b = 2;</script>y<style>p {}</style>z</body></html>",
        "<html><body><aside>side text</aside><footer>foot</footer><svg><text>s</text></svg>"
        "<div class='cookie-banner'>We use cookies</div><div id='site-footer'>f</div>"
        "<p>kept</p></body></html>",
        "<html><body><p>zero\u200bwidth\x7f and\ttabs</p><td>cell</td>tail</body></html>",
        "<html><head><title>no body</title></head></html>",
        "<html><body></body></html>",
    ],
)
def test_the_page_text_bound_is_never_below_html2txt(html: str) -> None:
    tree = _tree(html)
    assert cascade.page_text_bound(tree) >= len(html2txt(tree))


def test_the_page_text_bound_holds_on_the_corpora() -> None:
    below = [
        url for url, tree in _corpus_trees() if cascade.page_text_bound(tree) < len(html2txt(tree))
    ]
    assert below == []


_PRUNES = [*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH]


@pytest.mark.parametrize(
    ("html", "pruned"),
    [
        ("<div id='comments'>c</div>", True),
        ("<section class='Comment-list'>c</section>", True),
        ("<ul class='post-comments'><li>c</li></ul>", True),
        ("<div id='disqus_thread'>c</div>", True),
        ("<div class='commentary'>c</div>", False),  # commentary is article text
        ("<div class='x\ncomments'>c</div>", False),  # ^ is the start of the value only
        ("<div class='mvp-post-add-box'>next article</div>", True),
        ("<div class='elementor-share-buttons'>share</div>", True),
        ("<div class='infinitescroll'><h1>the article</h1></div>", False),
        ("<p class='comments'>a paragraph</p>", False),  # not a section element
    ],
)
def test_a_prune_is_skipped_only_when_it_could_select_nothing(html: str, pruned: bool) -> None:
    tree = _tree(f"<html><body>{html}{PARAGRAPHS}</body></html>")
    attributes = "\n".join(cascade._CLASS_AND_ID(tree))
    selected = any(expression(tree) for expression in _PRUNES)
    assert selected == pruned
    kept = [
        expression
        for expression in _PRUNES
        if (hint := cascade._PRUNE_HINTS.get(expression.path)) is None or hint.search(attributes)
    ]
    assert all(not expression(tree) for expression in _PRUNES if expression not in kept)


def test_prune_hints_on_the_corpora() -> None:
    """Where a hint says a prune can select nothing, it selects nothing."""
    wrong = []
    for url, tree in _corpus_trees():
        attributes = "\n".join(cascade._CLASS_AND_ID(tree))
        for expression in _PRUNES:
            if not cascade._PRUNE_HINTS[expression.path].search(attributes) and expression(tree):
                wrong.append((url, expression.path[:40]))
    assert wrong == []


def test_comment_sections_are_the_xpaths_selection() -> None:
    expression = REMOVE_COMMENTS_AND_LISTS_XPATH[0]
    pages = [tree for _, tree in _corpus_trees()]
    pages.append(
        _tree(
            "<html><body><div id='comments'><ol class='commentlist'><li>a</li></ol>"
            "<ul id='comment-7'><li>b</li></ul><ul id='disqus_thread'></ul></div>"
            "<section class='x article-comments'>c</section><div id='Commentary'>d</div>"
            f"<list class='comment'>e</list>{PARAGRAPHS}</body></html>"
        )
    )
    assert (
        len(cascade._comment_sections(pages[-1])) == 5
    )  # not disqus_thread (a list), not Commentary
    assert all(cascade._comment_sections(tree) == expression(tree) for tree in pages)


@pytest.mark.parametrize(
    "html",
    [
        f"<html><body>{PARAGRAPHS}<div class='site-footer'>f</div><aside>a</aside></body></html>",
        "<html><body><p>kept</p><div id='CookieBanner'>We use cookies</div>tail"
        "<section class='x onetrust-pc'>consent</section><script>x</script></body></html>",
        "<html><body><aside class='cookie-notice'>both</aside>after<p>p</p></body></html>",
        "<html><head><title>no body</title></head></html>",
    ],
)
def test_the_page_text_length_is_html2txts(html: str) -> None:
    tree = _tree(html)
    attributes = "\n".join(cascade._CLASS_AND_ID(tree))
    assert cascade.page_text_length(tree, attributes) == len(html2txt(tree))


def test_the_page_text_length_on_the_corpora() -> None:
    wrong = []
    for url, tree in _corpus_trees()[::2]:
        attributes = "\n".join(cascade._CLASS_AND_ID(tree))
        if cascade.page_text_length(tree, attributes) != len(html2txt(tree)):
            wrong.append(url)
    assert wrong == []


def test_without_the_vendored_cascade_the_public_api_gives_the_same_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A trafilatura release that renames the private functions the cascade calls must cost
    # speed, never text: body falls back to the public bare_extraction.
    trees = _corpus_trees()[::20]
    vendored = [extract_body(tree, url) for url, tree in trees]
    monkeypatch.setattr(body, "cascade", None)
    public = [extract_body(tree, url) for url, tree in trees]
    assert public == vendored
    assert sum(bool(text) for text in public) >= len(trees) - 1


def test_a_trafilatura_lacking_the_private_names_is_used_through_its_public_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trafilatura.settings

    monkeypatch.delattr(trafilatura.settings, "_COOKIE_CONSENT_RE")
    monkeypatch.delitem(sys.modules, "brwatch.extract._vendor.trafilatura_cascade")
    monkeypatch.delattr(sys.modules["brwatch.extract._vendor"], "trafilatura_cascade")
    assert body._vendored_cascade() is None
