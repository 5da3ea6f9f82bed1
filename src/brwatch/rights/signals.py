"""Machine-readable rights signals: meta tags, rel=license, CC links, JSON-LD and microdata,
TDMRep, robots directives and the feed's own rights line.

Structured data is read with extruct, and only when the page carries JSON-LD or microdata that
mentions a rights property at all (extruct is the slowest step otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import islice
from typing import Any

from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import LxmlMicrodataExtractor

from brwatch.rights.hints import MarkupHints
from brwatch.rights.licenses import obligations_for_spdx, spdx_from_url, status_for_spdx
from brwatch.rights.matcher import clean_name, find_notices
from brwatch.rights.model import GENERIC_STATUS, Evidence
from brwatch.rights.rules import Ruleset

log = logging.getLogger(__name__)

# A hostile page may carry thousands of licence links or meta tags; the first ones decide.
MAX_SIGNALS = 30

# Only the meta tags that can carry a rights signal are read: named, by the first of these
# attributes they carry, with one of _META_NAMES (ASCII case ignored).
_META_KEYS = frozenset({"name", "property", "http-equiv"})
_XML_SPACE = " \t\r\n"
_COPYRIGHT_META = frozenset(
    {
        "copyright",
        "rights",
        "dc.rights",
        "dcterms.rights",
        "dc:rights",
        "dcterms:rights",
        "article:copyright",
    }
)
_LICENSE_META = frozenset(
    {"license", "dc.license", "dcterms.license", "dcterms:license", "dc.rights.license"}
)
_HOLDER_META = frozenset({"dcterms.rightsholder", "dcterms:rightsholder", "dc.rightsholder"})
_ROBOTS_META = frozenset({"robots", "googlebot", "googlebot-news", "bingbot"})
_TDM_META = frozenset({"tdm-reservation", "tdm-policy"})
_META_NAMES = _COPYRIGHT_META | _LICENSE_META | _HOLDER_META | _ROBOTS_META | _TDM_META
_ROBOTS_DIRECTIVES = {"noarchive": "no_archive", "nosnippet": "no_snippet"}
# Rights of embedded media are the photographer's, not the article's.
_MEDIA_TYPES = frozenset({"ImageObject", "VideoObject", "AudioObject", "MediaObject", "Photograph"})


def _signal(kind: str, status: str | None, text: str, scope: str, **extra: Any) -> Evidence:
    return Evidence(
        rule_id=f"signal.{kind}",
        kind=kind,
        status=status,
        text=" ".join(text.split())[:300],
        scope=scope,
        start=0,
        end=len(text),
        confidence=extra.pop("confidence", 0.8),
        **extra,
    )


def license_signal(kind: str, url: str, scope: str) -> Evidence | None:
    spdx = spdx_from_url(url)
    if not spdx:
        return None
    return _signal(
        kind,
        status_for_spdx(spdx),
        url,
        scope,
        license=spdx,
        obligations=obligations_for_spdx(spdx),
        confidence=0.95,
    )


def rights_text(ruleset: Ruleset, text: str, scope: str, kind: str) -> list[Evidence]:
    """A free-text rights statement (meta copyright, feed rights, copyrightNotice)."""
    text = " ".join(str(text).split())
    if not text:
        return []
    if "creativecommons.org" in text:
        licensed = license_signal(kind, text, scope)
        if licensed:
            return [licensed]
    found = [f for f in find_notices(ruleset, text, scope) if f.kind != "origin"]
    for finding in found:
        finding.kind = kind
    if any(f.status for f in found):
        return found
    # A bare holder name in a copyright field is still a claim of copyright.
    credit = clean_name(text.replace("©", " ").replace("(c)", " ").replace("Copyright", " "))
    return [*found, _signal(kind, GENERIC_STATUS, text, scope, credit=credit, confidence=0.7)]


def _names_rights(meta: dict[str, Any]) -> bool:
    """Whether a meta tag's name (its first name/property/http-equiv) can carry a rights
    signal."""
    key = next((value for name, value in meta.items() if name in _META_KEYS), None) or ""
    # The names are ASCII, so only an ASCII value can match (str.lower on ASCII is XPath's
    # ASCII-only lower-casing, and much faster than str.translate).
    return key.isascii() and key.strip(_XML_SPACE).lower() in _META_NAMES


def meta_signals(ruleset: Ruleset, metas: list[dict[str, Any]]) -> list[Evidence]:
    """Rights signals in the head's meta tags (attributes of each, in markup order)."""
    findings: list[Evidence] = []
    for meta in list(filter(_names_rights, metas))[:MAX_SIGNALS]:
        name = (
            (meta.get("name") or meta.get("property") or meta.get("http-equiv") or "")
            .strip()
            .lower()
        )
        content = (meta.get("content") or meta.get("value") or "").strip()
        if not content:
            continue
        if name in _COPYRIGHT_META:
            findings += rights_text(ruleset, content, "meta", "meta_copyright")
        elif name in _LICENSE_META:
            found = license_signal("meta_license", content, "meta")
            findings.append(
                found or _signal("meta_license", GENERIC_STATUS, content, "meta", confidence=0.5)
            )
        elif name in _HOLDER_META:
            findings.append(
                _signal(
                    "meta_rights_holder",
                    GENERIC_STATUS,
                    content,
                    "meta",
                    credit=clean_name(content),
                )
            )
        elif name in _ROBOTS_META:
            findings += _robots(content, "meta", "robots")
        elif name == "tdm-reservation" and content.strip() == "1":
            findings.append(
                _signal(
                    "tdm_reservation",
                    None,
                    f"tdm-reservation: {content}",
                    "meta",
                    obligations=("no_tdm",),
                )
            )
        elif name == "tdm-policy":
            findings.append(_signal("tdm_policy", None, content, "meta", confidence=0.9))
    return findings


def _robots(value: str, scope: str, kind: str) -> Iterator[Evidence]:
    directives = {
        part.strip().lower() for chunk in value.split(",") for part in chunk.split(":")[-1:]
    }
    directives |= {d.strip().lower() for d in value.replace(",", " ").split()}
    for directive, obligation in _ROBOTS_DIRECTIVES.items():
        if directive in directives:
            yield _signal(
                f"{kind}_{directive}", None, value, scope, obligations=(obligation,), confidence=1.0
            )


def header_signals(headers: dict[str, str]) -> list[Evidence]:
    findings: list[Evidence] = []
    robots = headers.get("x-robots-tag")
    if robots:
        findings += _robots(robots, "header", "x_robots")
    if headers.get("tdm-reservation", "").strip() == "1":
        findings.append(
            _signal(
                "tdm_reservation", None, "tdm-reservation: 1", "header", obligations=("no_tdm",)
            )
        )
    if headers.get("tdm-policy"):
        findings.append(_signal("tdm_policy", None, headers["tdm-policy"], "header"))
    # Link: <https://…/by/4.0/>; rel="license", <https://…>; rel="canonical"
    for value in headers.get("link", "").split(",")[:MAX_SIGNALS]:
        target, _, params = value.partition(">")
        if "license" in params.lower():
            found = license_signal("rel_license", target.strip(" <"), "header")
            if found:
                findings.append(found)
    return findings


def link_signals(links: list[tuple[dict[str, Any], bool]]) -> list[Evidence]:
    """rel=license links and Creative Commons links: (attributes, inside a figure) of each."""
    findings: list[Evidence] = []
    seen: set[str] = set()
    for attributes, in_media in links:
        href = (
            attributes.get("href") or attributes.get("resource") or attributes.get("content") or ""
        ).strip()
        # A licence badge inside a figure or caption covers the picture, not the article.
        if href in seen or in_media:
            continue
        seen.add(href)
        rel = (attributes.get("rel") or attributes.get("property") or "").lower()
        kind = "rel_license" if "license" in rel else "cc_link"
        found = license_signal(kind, href, "link")
        if found:
            findings.append(found)
        elif kind == "rel_license":
            findings.append(_signal(kind, GENERIC_STATUS, href, "link", confidence=0.4))
    return findings


def structured_signals(
    ruleset: Ruleset, jsonld_scripts: list[str], doc: Any, hints: MarkupHints
) -> list[Evidence]:
    """JSON-LD and microdata rights properties; microdata read with extruct from the lxml tree
    (parsed for it if need be: few pages have any)."""
    items: list[Any] = []
    if hints.jsonld_rights:
        try:
            items += jsonld_items(jsonld_scripts)
        except Exception as exc:  # as extruct: one unreadable script loses the page's JSON-LD
            log.info("structured data unreadable on %s: %s", doc.url, exc)
    if hints.microdata_rights:
        try:
            items += LxmlMicrodataExtractor().extract_items(doc.tree, doc.url or None)
        except Exception as exc:  # extruct raises many kinds on broken markup
            log.info("structured data unreadable on %s: %s", doc.url, exc)
    findings: list[Evidence] = []
    for item in islice(_works(items), MAX_SIGNALS):
        findings += _work_signals(ruleset, item)
    return findings


def jsonld_items(scripts: list[str]) -> list[Any]:
    """The items of JSON-LD scripts, read by extruct's JsonLdExtractor from script texts any
    parser found (it looks them up with an lxml XPath otherwise); raises as it does."""
    return _JsonLdFromTexts().extract_items(scripts)


class _ScriptText(str):
    """A script's text where extruct expects the lxml node (it asks for its string())."""

    __slots__ = ()

    def xpath(self, _query: str) -> str:
        return str(self)


class _JsonLdFromTexts(JsonLdExtractor):
    def _xp_jsonld(self, scripts: list[str]) -> list[_ScriptText]:
        return [_ScriptText(script) for script in scripts]


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type") or item.get("type") or ()
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def _works(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every item that is not embedded media, from JSON-LD graphs and microdata properties."""
    if depth > 6:
        return
    if isinstance(node, list):
        for child in node:
            yield from _works(child, depth + 1)
    elif isinstance(node, dict):
        if _types(node) & _MEDIA_TYPES:
            return
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "properties", "isPartOf"):
            if key in node:
                yield from _works(node[key], depth + 1)


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("url", "@id", "name", "text", "value"):
            if key in value:
                return _text_of(value[key])
        props = value.get("properties")
        return _text_of(props) if props else ""
    if isinstance(value, list):
        return _text_of(value[0]) if value else ""
    return str(value).strip()


def _name_of(value: Any) -> str:
    if isinstance(value, dict):
        return _text_of(value.get("name") or value.get("properties", {}).get("name") or "")
    return _text_of(value)


def _work_signals(ruleset: Ruleset, item: dict[str, Any]) -> list[Evidence]:
    properties = item.get("properties")
    props: dict[str, Any] = properties if isinstance(properties, dict) else item
    findings: list[Evidence] = []
    license_value = _text_of(props.get("license")) if "license" in props else ""
    if license_value:
        found = license_signal("jsonld_license", license_value, "jsonld")
        findings.append(
            found
            or _signal("jsonld_license", GENERIC_STATUS, license_value, "jsonld", confidence=0.5)
        )
    if props.get("copyrightNotice"):
        findings += rights_text(
            ruleset, _text_of(props["copyrightNotice"]), "jsonld", "jsonld_copyright_notice"
        )
    if props.get("copyrightHolder"):
        holder = _name_of(props["copyrightHolder"])
        if holder:
            findings.append(
                _signal(
                    "jsonld_copyright_holder",
                    GENERIC_STATUS,
                    holder,
                    "jsonld",
                    credit=clean_name(holder),
                    confidence=0.6,
                )
            )
    if props.get("creditText"):
        credit = _text_of(props["creditText"])
        findings.append(
            _signal(
                "jsonld_credit_text",
                None,
                credit,
                "jsonld",
                credit=clean_name(credit),
                obligations=("credit",),
            )
        )
    if props.get("acquireLicensePage"):
        findings.append(
            _signal(
                "jsonld_acquire_license_page",
                GENERIC_STATUS,
                _text_of(props["acquireLicensePage"]),
                "jsonld",
            )
        )
    if props.get("usageInfo"):
        findings.append(
            _signal(
                "jsonld_usage_info", None, _text_of(props["usageInfo"]), "jsonld", confidence=0.6
            )
        )
    free = props.get("isAccessibleForFree")
    if free is not None and str(_text_of(free)).lower() in ("false", "0", "no"):
        findings.append(
            _signal(
                "jsonld_paywalled",
                None,
                "isAccessibleForFree: false",
                "jsonld",
                obligations=("paywalled",),
            )
        )
    return findings
