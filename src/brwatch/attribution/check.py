"""Does a page that credits another publisher link to it, and does that link land there?

The link is looked for near the credit first (the block holding "来源：新华社" / "Source: Xinhua"),
then anywhere in the article outside navigation and footers. It is followed through the
:class:`~brwatch.fetch.SafeFetcher` (the page is untrusted) and the landing host is compared
with the claimed publisher's registered domains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from brwatch.attribution.registry import Publisher, PublisherRegistry, load_publishers
from brwatch.document import Document, parse_document
from brwatch.fetch import FetchError, FetchRefused, SafeFetcher

OUTCOMES = ("ok", "missing", "broken", "wrong_target", "not_required")
# Links inside these are site chrome, not attribution.
_CHROME_TAGS = {"nav", "header", "footer", "aside"}
_WRITTEN_URL = re.compile(r"https?://[^\s<>\"'）)\]，。、；]+")
_BLOCK_TAGS = {"p", "div", "li", "td", "section", "article", "blockquote", "figure", "dd", "span"}
# How far up from the credit text a "near" link may sit.
_NEAR_LEVELS = 2
# A link check needs the status and where it lands, not the page: keep it small and quick.
LINK_CHECK_BYTES = 256_000
LINK_CHECK_TIMEOUT = 10.0
# Answers that mean "not to robots", not "gone".
_CHECKER_BLOCKED = {401, 403, 429}


def link_fetcher() -> SafeFetcher:
    """The safe fetcher configured for following attribution links."""
    return SafeFetcher(max_bytes=LINK_CHECK_BYTES, timeout=LINK_CHECK_TIMEOUT)


@dataclass
class AttributionResult:
    outcome: str
    origin: str | None = None
    publisher: str | None = None
    origin_url: str | None = None
    link_url: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        """The ``Article.attribution`` shape of docs/ARCHITECTURE.md (plus the publisher id)."""
        return {
            "origin": self.origin,
            "origin_url": self.origin_url,
            "publisher": self.publisher,
            "link": self.outcome,
            "link_url": self.link_url,
            "checked_at": self.checked_at.isoformat(),
            "http_status": self.http_status,
            "final_url": self.final_url,
            "redirects": list(self.redirects),
        }


@dataclass(frozen=True)
class _Candidate:
    url: str
    anchor: str
    why: str  # publisher_domain | origin_url | names_publisher | url_in_text | near_credit
    near_credit: bool


def _as_document(doc_or_html: Document | str | bytes, page_url: str) -> Document:
    if isinstance(doc_or_html, Document):
        return doc_or_html
    return parse_document(doc_or_html, page_url)


def _in_chrome(element: etree._Element) -> bool:
    return any(
        isinstance(a.tag, str) and a.tag.lower() in _CHROME_TAGS for a in element.iterancestors()
    )


def _credit_blocks(tree: HtmlElement, names: tuple[str, ...]) -> list[HtmlElement]:
    """The block holding the credit text (and its neighbouring blocks) for each credit found."""
    blocks: list[HtmlElement] = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag.lower() in ("script", "style"):
            continue
        own = (element.text or "") + " ".join((child.tail or "") for child in element)
        if not any(name in own for name in names):
            continue
        block = element
        for _ in range(_NEAR_LEVELS):
            if block.tag in _BLOCK_TAGS and block.tag != "span":
                break
            parent = block.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            block = parent
        # "来源：新华社" and "原文链接" often sit in adjacent paragraphs.
        blocks += [b for b in (block.getprevious(), block, block.getnext()) if b is not None]
    return blocks


def _base_url(tree: etree._Element, page_url: str) -> str:
    base = tree.find(".//base[@href]")
    return urljoin(page_url, (base.get("href") or "").strip()) if base is not None else page_url


def find_candidates(
    doc: Document,
    publisher: Publisher | None,
    origin: str,
    origin_url: str | None,
    registry: PublisherRegistry,
) -> list[_Candidate]:
    """Links that could be the attribution link, best first."""
    tree = doc.tree
    base = _base_url(tree, doc.url)
    names = publisher.names if publisher else (origin,)
    # Elements themselves, not id()s: lxml proxies are only stable while referenced.
    near: set[etree._Element] = set()
    blocks = _credit_blocks(tree, names)
    for block in blocks:
        near.update(block.iter("a"))
    found: list[tuple[int, _Candidate]] = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        is_near = anchor in near
        if not is_near and _in_chrome(anchor):
            continue
        text = " ".join(anchor.text_content().split())
        if origin_url and url.rstrip("/") == origin_url.rstrip("/"):
            why = "origin_url"
        elif publisher and publisher.owns_host(urlsplit(url).hostname or ""):
            why = "publisher_domain"
        elif (publisher and registry.match_name(text) is publisher) or (
            not publisher and origin and origin in text
        ):
            why = "names_publisher"
        elif is_near and _elsewhere(url, doc.url, publisher, registry):
            # A link beside the credit to another publisher's site: the attribution link,
            # pointing at the wrong place.
            why = "near_credit"
        else:
            continue
        rank = (0 if is_near else 2) + {"names_publisher": 1, "near_credit": 3}.get(why, 0)
        found.append((rank, _Candidate(url, text[:200], why, is_near)))
    # "原文链接：http://…" written out as text next to the credit counts as a link too.
    for block in blocks:
        for match in _WRITTEN_URL.findall(block.text_content()):
            written = match.rstrip(".,;:!?")
            host = urlsplit(written).hostname or ""
            if publisher is None or publisher.owns_host(host):
                found.append((1, _Candidate(written, written[:200], "url_in_text", True)))
    found.sort(key=lambda rc: rc[0])
    return list(dict.fromkeys(c for _, c in found))


def _elsewhere(
    url: str, page_url: str, publisher: Publisher | None, registry: PublisherRegistry
) -> bool:
    """Whether a link goes to a known publisher's site other than the page's and the origin's."""
    owner = registry.match_domain(url)
    if owner is None or owner is publisher:
        return False
    return not owner.owns_host(urlsplit(page_url).hostname or "")


def check_attribution(
    doc_or_html: Document | str | bytes,
    page_url: str,
    origin: str | None,
    fetcher: SafeFetcher | None = None,
    *,
    origin_url: str | None = None,
    registry: PublisherRegistry | None = None,
) -> AttributionResult:
    """Check the attribution link of one page whose claimed origin is ``origin``."""
    registry = registry or load_publishers()
    origin = (origin or "").strip() or None
    if origin is None and origin_url is None:
        return AttributionResult("not_required", evidence={"reason": "the page credits no origin"})
    publisher = registry.match_name(origin) if origin else registry.match_domain(origin_url)
    result = AttributionResult(
        "missing",
        origin=origin,
        publisher=publisher.id if publisher else None,
        origin_url=origin_url,
    )
    page_host = urlsplit(page_url).hostname or ""
    if publisher and publisher.owns_host(page_host):
        result.outcome = "not_required"
        result.evidence = {"reason": f"the page is on {publisher.name}'s own site ({page_host})"}
        return result
    doc = _as_document(doc_or_html, page_url)
    candidates = find_candidates(doc, publisher, origin or "", origin_url, registry)
    result.evidence = {
        "publisher_known": publisher is not None,
        "publisher_domains": list(publisher.domains) if publisher else [],
        "candidates": [c.url for c in candidates[:10]],
    }
    if not candidates:
        who = publisher.name if publisher else origin
        result.evidence["reason"] = f"no link to {who} near the credit or in the article"
        return result
    fetcher = fetcher or link_fetcher()
    attempts: list[dict[str, Any]] = []
    first_failure: AttributionResult | None = None
    for candidate in candidates[:5]:
        outcome = _follow(candidate, publisher, fetcher, attempts, registry, origin_url)
        if outcome.outcome == "ok":
            return _merge(result, outcome, candidate, attempts)
        first_failure = first_failure or _merge(result, outcome, candidate, attempts)
    assert first_failure is not None
    first_failure.evidence["attempts"] = attempts
    return first_failure


def _merge(
    result: AttributionResult,
    followed: AttributionResult,
    candidate: _Candidate,
    attempts: list[dict[str, Any]],
) -> AttributionResult:
    """The page's result with one followed link's outcome (a new object each time)."""
    origin_url = result.origin_url
    if followed.outcome == "ok" and not origin_url:
        origin_url = followed.final_url
    return replace(
        result,
        outcome=followed.outcome,
        link_url=candidate.url,
        http_status=followed.http_status,
        final_url=followed.final_url,
        redirects=list(followed.redirects),
        origin_url=origin_url,
        evidence={
            **result.evidence,
            "link_text": candidate.anchor,
            "link_found": candidate.why,
            "near_credit": candidate.near_credit,
            "reason": followed.evidence.get("reason"),
            "attempts": attempts,
        },
    )


def _same_page(url: str, other: str | None) -> bool:
    if not other:
        return False
    a, b = urlsplit(url), urlsplit(other)
    return (a.hostname, a.port, a.path.rstrip("/"), a.query) == (
        b.hostname,
        b.port,
        b.path.rstrip("/"),
        b.query,
    )


def _follow(
    candidate: _Candidate,
    publisher: Publisher | None,
    fetcher: SafeFetcher,
    attempts: list[dict[str, Any]],
    registry: PublisherRegistry | None = None,
    origin_url: str | None = None,
) -> AttributionResult:
    """Fetch one candidate link and judge where it lands: on the origin publisher's site (or
    the stored original itself) is ok, on another known publisher's site wrong_target."""
    try:
        response = fetcher.get(candidate.url, truncate=True)
    except FetchRefused as exc:
        attempts.append({"url": candidate.url, "refused": exc.reason})
        return AttributionResult("broken", evidence={"reason": f"link refused: {exc.reason}"})
    except FetchError as exc:
        attempts.append({"url": candidate.url, "error": exc.kind, "detail": exc.reason})
        return AttributionResult(
            "broken", evidence={"reason": f"link does not resolve ({exc.kind}): {exc.reason}"}
        )
    attempts.append(
        {"url": candidate.url, "status": response.status, "final_url": response.final_url}
    )
    followed = AttributionResult(
        "ok",
        http_status=response.status,
        final_url=response.final_url,
        redirects=response.redirects,
    )
    final_host = urlsplit(response.final_url).hostname or ""
    on_publisher = (publisher is not None and publisher.owns_host(final_host)) or _same_page(
        response.final_url, origin_url
    )
    if response.status in _CHECKER_BLOCKED and on_publisher:
        # Many news sites turn away non-browser clients; the link still lands on the
        # publisher, which is what attribution asks for.
        followed.evidence["reason"] = (
            f"link lands on {publisher.name if publisher else 'the stored original'} "
            f"({final_host}), which refused the checker "
            f"(HTTP {response.status})"
        )
        return followed
    if not 200 <= response.status < 300:
        followed.outcome = "broken"
        followed.evidence["reason"] = f"link answers HTTP {response.status}"
        return followed
    if on_publisher:
        where = publisher.name if publisher is not None else "the stored original"
        followed.evidence["reason"] = f"link lands on {where} ({final_host})"
        return followed
    elsewhere = registry.match_domain(final_host) if registry is not None else None
    if publisher is None and elsewhere is None:
        followed.evidence["reason"] = (
            "publisher not in the registry: the link works, its target is unverified"
        )
        return followed
    followed.outcome = "wrong_target"
    if publisher is None:
        target = elsewhere.name if elsewhere is not None else final_host
        followed.evidence["reason"] = f"link lands on {target} ({final_host})"
    else:
        followed.evidence["reason"] = (
            f"link lands on {final_host}, not on {publisher.name} ({', '.join(publisher.domains)})"
        )
    return followed
