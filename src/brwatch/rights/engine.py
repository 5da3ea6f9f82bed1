"""verdict_for(doc): page text, machine-readable signals and feed rights -> one Verdict."""

from __future__ import annotations

from typing import Any

from brwatch.document import Document
from brwatch.rights.hints import markup_hints
from brwatch.rights.matcher import find_notices
from brwatch.rights.model import Evidence, Verdict
from brwatch.rights.page import PageText, scope_of
from brwatch.rights.reader import PageReader, reader_for
from brwatch.rights.resolve import resolve
from brwatch.rights.rules import Ruleset, default_ruleset
from brwatch.rights.signals import (
    header_signals,
    link_signals,
    meta_signals,
    rights_text,
    structured_signals,
)
from brwatch.rights.unmatched import unmatched_findings

# Findings are re-scoped one by one; beyond this many per page the rest adds nothing.
MAX_PAGE_FINDINGS = 60


def page_findings(ruleset: Ruleset, page: PageText, article_text: str | None) -> list[Evidence]:
    """Notices in the page's visible text, each placed in its scope (hard negatives dropped)."""
    # Every rule over the whole text first; then each hit's lines again in their real scope,
    # where scope-limited rules, negatives and the prose limit apply.
    extras: list[Evidence] = []
    candidates = find_notices(ruleset, page.text, "footer", any_scope=True, extras=extras)
    candidates = candidates[:MAX_PAGE_FINDINGS]
    unmatched = unmatched_findings(page, ruleset, extras, candidates, article_text)
    if not candidates:
        return unmatched
    nodes = page.nodes_at([c.start for c in candidates])
    findings: list[Evidence] = []
    for candidate, node in zip(candidates, nodes, strict=True):
        scope = scope_of(page, node, candidate.start, candidate.end, article_text)
        if scope is None:
            continue
        if scope == "footer":
            # The first pass already applied everything a footer line is subject to.
            if scope in ruleset.get(candidate.rule_id).scopes:
                findings.append(candidate)
            continue
        line_start = page.text.rfind("\n", 0, candidate.start) + 1
        line_end = page.text.find("\n", candidate.end)
        line = page.text[line_start : line_end if line_end >= 0 else len(page.text)]
        for finding in find_notices(ruleset, line, scope, base=line_start):
            if finding.rule_id == candidate.rule_id and finding.start == candidate.start:
                findings.append(finding)
    return findings + unmatched


def verdict_for(
    doc: Document,
    article: Any = None,
    *,
    feed_rights: str | None = None,
    reader: PageReader | None = None,
) -> Verdict:
    """The rights verdict for a page; ``article`` (with ``.text``) helps place notices.

    The markup is read by ``reader`` when given (one use: it may consume the tree), else from
    the lxml tree when the page is parsed already, else by a lexbor parse (reader.py).
    """
    ruleset = default_ruleset()
    article_text = getattr(article, "text", None) or None
    reader = reader or reader_for(doc)
    # The markup as UTF-8 for the cheap RE2 tests that decide whether a signal is worth reading
    # at all: the page's own bytes when they are UTF-8, else encoded once.
    source = getattr(doc, "utf8", None) or doc.text.encode("utf-8", "surrogatepass")
    hints = markup_hints(source)
    # Markup signals before the page text (which may take the scripts out of the tree); the
    # findings keep their order: text, meta, links, structured data, headers, feed.
    metas = meta_signals(ruleset, reader.head_metas())
    links = link_signals(reader.license_links()) if hints.licenses else []
    jsonld = reader.jsonld_scripts() if hints.jsonld_rights else []
    structured = structured_signals(ruleset, jsonld, doc, hints)
    findings = page_findings(ruleset, reader.page_text(), article_text)
    findings += metas + links + structured
    findings += header_signals(doc.headers)
    if getattr(doc, "truncated", False):
        findings.append(truncated_finding())
    feed = feed_rights or doc.hints.get("feed_rights")
    if feed:
        findings += rights_text(ruleset, str(feed), "feed", "feed_rights")
    return resolve(findings, ruleset.version)


def truncated_finding() -> Evidence:
    """The page was too large and its middle was cut before parsing: the verdict may lack
    what stood there, so the article is flagged for review (never fails open silently)."""
    note = "the page was too large to read whole: its middle was cut, its start and end read"
    return Evidence("document.truncated", "truncated", None, note, "body", 0, 0, 1.0)


def verdict_for_text(text: str, scope: str = "footer", ruleset: Ruleset | None = None) -> Verdict:
    """The verdict a notice text alone would give (rule examples, `brwatch rules test`)."""
    ruleset = ruleset or default_ruleset()
    return resolve(find_notices(ruleset, text, scope), ruleset.version)
