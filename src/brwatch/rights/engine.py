"""verdict_for(doc): page text, machine-readable signals and feed rights -> one Verdict."""

from __future__ import annotations

from typing import Any

from brwatch.document import Document
from brwatch.rights.matcher import find_notices
from brwatch.rights.model import Evidence, Verdict
from brwatch.rights.page import page_text, scope_of
from brwatch.rights.resolve import resolve
from brwatch.rights.rules import Ruleset, default_ruleset
from brwatch.rights.signals import (
    header_signals,
    link_signals,
    markup_hints,
    meta_signals,
    rights_text,
    structured_signals,
)

# Findings are re-scoped one by one; beyond this many per page the rest adds nothing.
MAX_PAGE_FINDINGS = 60


def page_findings(ruleset: Ruleset, doc: Document, article_text: str | None) -> list[Evidence]:
    """Notices in the page's visible text, each placed in its scope (hard negatives dropped)."""
    page = page_text(doc.tree)
    # Every rule over the whole text first; then each hit's lines again in their real scope,
    # where scope-limited rules, negatives and the prose limit apply.
    candidates = find_notices(ruleset, page.text, "footer", any_scope=True)[:MAX_PAGE_FINDINGS]
    if not candidates:
        return []
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
    return findings


def verdict_for(doc: Document, article: Any = None, *, feed_rights: str | None = None) -> Verdict:
    """The rights verdict for a parsed page; ``article`` (with ``.text``) helps place notices."""
    ruleset = default_ruleset()
    article_text = getattr(article, "text", None) or None
    findings = page_findings(ruleset, doc, article_text)
    findings += meta_signals(ruleset, doc.tree)
    # The markup as UTF-8 for the cheap RE2 tests that decide whether a signal is worth reading
    # at all: the page's own bytes when they are UTF-8, else encoded once.
    source = getattr(doc, "utf8", None) or doc.text.encode("utf-8", "surrogatepass")
    hints = markup_hints(source)
    findings += link_signals(doc.tree, hints)
    findings += structured_signals(ruleset, doc, hints)
    findings += header_signals(doc.headers)
    feed = feed_rights or doc.hints.get("feed_rights")
    if feed:
        findings += rights_text(ruleset, str(feed), "feed", "feed_rights")
    return resolve(findings, ruleset.version)


def verdict_for_text(text: str, scope: str = "footer", ruleset: Ruleset | None = None) -> Verdict:
    """The verdict a notice text alone would give (rule examples, `brwatch rules test`)."""
    ruleset = ruleset or default_ruleset()
    return resolve(find_notices(ruleset, text, scope), ruleset.version)
