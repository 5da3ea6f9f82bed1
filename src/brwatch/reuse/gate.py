"""The reuse gate: may this draft be published, given the article's rights, grants and the
draft itself? Pure logic over plain data, so the CLI, the web app and library users agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from brwatch.attribution.registry import Publisher, PublisherRegistry, load_publishers
from brwatch.reuse.draft import Draft
from brwatch.reuse.grants import is_active, url_key
from brwatch.rights.rules import current_obligations
from brwatch.storage.models import Grant

NEEDS_PERMISSION = {"prohibited", "permission_required"}
# Review decisions that settle an article's rights for reuse.
REVIEW_ALLOWS = {"cleared", "reuse_with_attribution", "permission_granted"}
NO_CREDIT_LICENSES = {"CC0-1.0", "CC-PDM-1.0", "CC-PDDC"}
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|「([^」]+)」")
_OBLIGATION_NOTES = {
    "no_derivatives": "the terms forbid modification: reproduce the text unchanged",
    "keep_notice": "the terms require the original copyright notice to be kept with the text",
    "non_commercial": "the terms allow non-commercial use only",
    "share_alike": "the terms require the reuse to carry the same licence",
    "no_full_copy": "the terms allow excerpts only, not the full text",
}
_CC_NOTICE = re.compile(r"creative\s*commons|\bcc[\s-]?(by|0)\b", re.IGNORECASE)


class GateText(str):
    """A sentence of the gate's answer, in English, that remembers how it was made: English
    templates and their values. An interface in another language translates each template and
    fills in the same values (web/labels.py lists every template; a test keeps them in step).
    """

    parts: tuple[tuple[str, dict[str, Any]], ...]

    def __new__(cls, *parts: tuple[str, dict[str, Any]]) -> GateText:
        text = "".join(template % values if values else template for template, values in parts)
        made = super().__new__(cls, text)
        made.parts = parts
        return made

    def __add__(self, other: str) -> GateText:
        more = other.parts if isinstance(other, GateText) else ((str(other), {}),)
        return GateText(*self.parts, *more)


def say(template: str, **values: Any) -> GateText:
    """One sentence from a template (``%(name)s`` placeholders; literal ``%`` written ``%%``)."""
    if not values:
        template = template.replace("%%", "%")
    return GateText((template, values))


@dataclass
class ArticleFacts:
    """What the gate knows about the article to be reused."""

    url: str
    rights: dict[str, Any]
    canonical_url: str | None = None
    origin: str | None = None
    original_url: str | None = None  # the original this article reprints, when known
    review_state: str | None = None
    article_id: int | None = None
    title: str | None = None
    site_name: str | None = None
    stored: bool = True


@dataclass
class GateReason:
    code: str
    message: str  # a GateText when made by the gate
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "fix": self.fix}


@dataclass
class GateResult:
    outcome: str  # pass | fail
    reasons: list[GateReason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grant_id: int | None = None
    status: str = "unknown"
    required: dict[str, Any] = field(default_factory=dict)
    article: dict[str, Any] = field(default_factory=dict)
    draft_sha256: str = ""
    decided_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def may_publish(self) -> bool:
        return self.outcome == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "may_publish": self.may_publish,
            "status": self.status,
            "reasons": [r.to_dict() for r in self.reasons],
            "notes": self.notes,
            "warnings": self.warnings,
            "grant_id": self.grant_id,
            "required": self.required,
            "article": self.article,
            "draft_sha256": self.draft_sha256,
            "decided_at": self.decided_at.isoformat(),
        }


def rights_holders(facts: ArticleFacts, registry: PublisherRegistry) -> list[Publisher]:
    """Who may grant permission: the credited origin, the named rights holder, the site."""
    found = [
        registry.match_name(facts.origin or facts.rights.get("origin")),
        registry.match_name(facts.rights.get("credit")),
        registry.match_domain(facts.original_url),
        registry.match_domain(facts.url),
    ]
    return list({p.id: p for p in found if p is not None}.values())


def grant_keys(facts: ArticleFacts, registry: PublisherRegistry) -> list[str]:
    """Every value a grant's publisher field may hold for this article: the rights holders'
    registry ids, and the names it credits or is published under (its site's name too, as the
    site's domain already makes the site a rights holder for publishers in the registry)."""
    names = [facts.origin, facts.rights.get("origin"), facts.rights.get("credit"), facts.site_name]
    return [p.id for p in rights_holders(facts, registry)] + [n for n in names if n]


def article_urls(facts: ArticleFacts) -> list[str]:
    return [u for u in (facts.url, facts.canonical_url, facts.original_url) if u]


def _asks_for_credit(rights: dict[str, Any]) -> bool:
    """Terms that require a credit line: attribution required, a credit obligation, or a
    licence whose only condition is credit (CC BY and its variants)."""
    obligations = set(current_obligations(rights.get("obligations") or []))
    license_id = (rights.get("license") or "").upper()
    return (
        bool({"credit", "credit_origin"} & obligations)
        or rights.get("status") == "attribution_required"
        or license_id.startswith("CC-BY")
    )


def _credit_publisher(
    facts: ArticleFacts, registry: PublisherRegistry
) -> tuple[Publisher | None, str | None]:
    """Whom the draft must credit: the origin publisher, else the named rights holder, else
    — when the terms ask for credit without naming anyone — the site itself, whatever kind of
    identity it has: registered, learned from its source (``registry`` is then the publisher
    directory of brwatch.attribution.identities), the name the page gives, or its host."""
    for name in (facts.origin, facts.rights.get("origin"), facts.rights.get("credit")):
        if name:
            return registry.match_name(name), name
    if not _asks_for_credit(facts.rights):
        return None, None
    for url in (facts.original_url, facts.url):
        site = registry.match_domain(url)
        if site is not None:
            return site, site.name
    if facts.site_name:
        return registry.match_name(facts.site_name), facts.site_name
    host = urlsplit(facts.original_url or facts.url).hostname
    return None, host


def _draft_credits(
    draft: Draft, publisher: Publisher | None, name: str, registry: PublisherRegistry
) -> bool:
    if publisher is not None:
        if any(m.publisher.id == publisher.id for m in registry.find_names(draft.text)):
            return True
        folded = draft.text.casefold()
        return any(n.casefold() in folded for n in publisher.names if len(n) > 3)
    return name.casefold() in draft.text.casefold()


def _check_permission(
    facts: ArticleFacts,
    status: str,
    grants: list[Grant],
    result: GateResult,
    holders: list[Publisher],
    at: datetime,
) -> None:
    active = [g for g in grants if is_active(g, at)]
    if active:
        grant = active[0]
        result.grant_id = grant.id
        note = say(
            "permission: grant #%(id)s from %(publisher)s (%(scope)s)",
            id=grant.id,
            publisher=grant.publisher,
            scope="one article" if grant.scope == "article" else "all articles",
        )
        if grant.reference:
            note += say(", reference %(reference)s", reference=grant.reference)
        result.notes.append(note)
        if grant.conditions:
            result.notes.append(
                say("honour the grant's conditions: %(conditions)s", conditions=grant.conditions)
            )
        return
    if facts.review_state in REVIEW_ALLOWS:
        # A reviewer's decision overrides the machine verdict (a misread notice, a deal
        # made by phone); the note keeps it visible that no grant is on file.
        result.notes.append(
            say(
                "reuse rests on the review decision '%(state)s'; no grant is on file",
                state=facts.review_state,
            )
        )
        return
    who = ", ".join(p.name for p in holders) or facts.origin
    lapsed = [g for g in grants if not is_active(g, at)]
    evidence = next(
        (e.get("text") for e in facts.rights.get("evidence") or [] if e.get("status") == status),
        None,
    )
    messages = {
        "prohibited": "the article forbids reproduction without permission",
        "permission_required": "the article is under copyright with no reprint permission",
        "unknown": "no rights statement was found, so reuse needs permission or an editor's review",
    }
    message = say(messages[status])
    if evidence:
        message += say(": “%(evidence)s”", evidence=evidence[:160])
    if lapsed:
        g = lapsed[-1]
        if g.revoked_at:
            message += say(" (grant #%(id)s exists but is revoked)", id=g.id)
        else:
            message += say(" (grant #%(id)s exists but is outside its validity period)", id=g.id)
    if who:
        fix = say(
            "get written permission from %(who)s and record it (brwatch grants add …)", who=who
        )
    else:
        fix = say("get written permission from the publisher and record it (brwatch grants add …)")
    if status == "unknown":
        fix += say(", or have an editor clear the article in the review app")
    result.reasons.append(GateReason(f"needs_permission_{status}", message, fix))


def _check_link(
    facts: ArticleFacts, draft: Draft, result: GateResult, credit_publisher: Publisher | None
) -> None:
    targets = article_urls(facts)
    result.required["link_to"] = targets
    wanted = {url_key(u) for u in targets}
    keys = [url_key(link.url) for link in draft.links]
    if wanted & set(keys):
        return
    preferred = facts.original_url or facts.canonical_url or facts.url
    near_misses = [
        link.url
        for link in draft.links
        if credit_publisher is not None and credit_publisher.owns_host(link.url)
    ]
    if near_misses:
        result.reasons.append(
            GateReason(
                "wrong_link",
                say(
                    "the draft links to %(url)s, which is not the original article",
                    url=near_misses[0],
                ),
                say("link to the original: %(url)s", url=preferred),
            )
        )
    else:
        result.reasons.append(
            GateReason(
                "missing_link",
                say("the terms require a link to the original article and the draft has none"),
                say("add a link to %(url)s", url=preferred),
            )
        )


def _check_notices(facts: ArticleFacts, draft: Draft, status: str, result: GateResult) -> None:
    rights = facts.rights
    license_id = rights.get("license") or ""
    obligations = set(current_obligations(rights.get("obligations") or []))
    if "-NC" in license_id.upper():
        obligations.add("non_commercial")
    if "-ND" in license_id.upper():
        obligations.add("no_derivatives")
    if "-SA" in license_id.upper():
        obligations.add("share_alike")
    if status == "open_license" and license_id.upper().startswith("CC-BY"):
        result.required["license_notice"] = license_id
        spaced = license_id.replace("-", " ")
        text = draft.text.casefold()
        linked = any("creativecommons.org" in link.url for link in draft.links)
        if not (
            linked
            or license_id.casefold() in text
            or spaced.casefold() in text
            or _CC_NOTICE.search(draft.text)
        ):
            result.reasons.append(
                GateReason(
                    "missing_license_notice",
                    say(
                        "the article is licensed %(license)s, which requires the licence to be "
                        "named",
                        license=license_id,
                    ),
                    say(
                        "add “Licensed under %(license)s” with a link to the licence",
                        license=spaced,
                    ),
                )
            )
    for obligation, note in _OBLIGATION_NOTES.items():
        if obligation in obligations:
            result.notes.append(say(note))


def _check_grant_notices(draft: Draft, grant: Grant | None, result: GateResult) -> None:
    """Text that a grant's conditions quote (“…”, "…" or 「…」) must appear in the draft."""
    if grant is None or not grant.conditions:
        return
    squeezed = _squeeze(draft.text)
    for groups in _QUOTED.findall(grant.conditions):
        notice = next(part for part in groups if part)
        result.required.setdefault("notices", []).append(notice)
        if _squeeze(notice) not in squeezed:
            result.reasons.append(
                GateReason(
                    "missing_notice",
                    say(
                        "grant #%(id)s requires the notice “%(notice)s”, missing from the draft",
                        id=grant.id,
                        notice=notice,
                    ),
                    say("add the notice exactly as given: “%(notice)s”", notice=notice),
                )
            )


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def gate(
    article: ArticleFacts,
    draft: Draft,
    grants: list[Grant] | None = None,
    *,
    registry: PublisherRegistry | None = None,
    at: datetime | None = None,
) -> GateResult:
    """Decide whether ``draft`` may be published as a reuse of ``article``.

    ``grants`` are those covering the article (by URL or publisher); inactive ones only
    improve the messages. Every failed requirement becomes a reason with what to change.
    """
    registry = registry or load_publishers()
    moment = at or datetime.now(UTC)
    rights = article.rights or {}
    status = rights.get("status") or "unknown"
    result = GateResult("fail", status=status, draft_sha256=draft.sha256)
    result.article = {
        "id": article.article_id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "original_url": article.original_url,
        "title": article.title,
        "stored": article.stored,
        "review_state": article.review_state,
    }
    holders = rights_holders(article, registry)
    if article.review_state == "do_not_reuse":
        result.reasons.append(
            GateReason(
                "editor_decision",
                say("an editor decided this article must not be reused"),
                say("choose another source, or ask an editor to revisit the decision"),
            )
        )
    if rights.get("conflict") and article.review_state in (None, "pending"):
        result.reasons.append(
            GateReason(
                "rights_conflict",
                say("the page's rights statements disagree and await legal review"),
                say("ask legal to review the article and record a decision"),
            )
        )
    if status in NEEDS_PERMISSION or status == "unknown":
        _check_permission(article, status, grants or [], result, holders, moment)

    credit_publisher, credit_name = _credit_publisher(article, registry)
    credit_needed = status != "public_domain" and rights.get("license") not in NO_CREDIT_LICENSES
    if credit_needed and credit_name:
        names = list(credit_publisher.names) if credit_publisher else [credit_name]
        result.required["credit"] = names
        if not _draft_credits(draft, credit_publisher, credit_name, registry):
            shown = credit_publisher.name if credit_publisher else credit_name
            result.reasons.append(
                GateReason(
                    "missing_credit",
                    say("the draft does not credit %(publisher)s", publisher=shown),
                    say(
                        "add a credit line such as “Source: %(publisher)s” (any of: %(names)s)",
                        publisher=shown,
                        names=", ".join(names[:6]),
                    ),
                )
            )
    obligations = set(current_obligations(rights.get("obligations") or []))
    link_needed = bool(rights.get("requires_link")) or "link_to_original" in obligations
    if link_needed and status != "public_domain":
        _check_link(article, draft, result, credit_publisher)
    _check_notices(article, draft, status, result)
    granted = next((g for g in grants or [] if g.id == result.grant_id), None)
    _check_grant_notices(draft, granted, result)
    if not article.stored:
        result.warnings.append(
            say("the article is not in the database: it was fetched and checked just now")
        )
    result.outcome = "fail" if result.reasons else "pass"
    return result
