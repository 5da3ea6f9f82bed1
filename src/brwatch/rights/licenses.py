"""Creative Commons URLs and licence names -> SPDX identifiers.

Every CC licence from 1.0 to 4.0 (including the ported 2.x/3.0 versions SPDX lists), CC0 and the
Public Domain Mark. The five 1.0-only variants without attribution (nd, nc, nc-sa, nd-nc) have no
SPDX id; they get a ``LicenseRef-`` id so they are still recognised as open licences.
"""

from __future__ import annotations

import re2

VERSIONS = ("1.0", "2.0", "2.1", "2.5", "3.0", "4.0")
# Ported versions that SPDX names separately; other ports are the unported licence translated.
_SPDX_PORTS = frozenset(
    {
        "CC-BY-2.5-AU", "CC-BY-3.0-AT", "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO",
        "CC-BY-3.0-NL", "CC-BY-3.0-US", "CC-BY-NC-3.0-DE", "CC-BY-NC-ND-3.0-DE",
        "CC-BY-NC-ND-3.0-IGO", "CC-BY-NC-SA-2.0-DE", "CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-UK",
        "CC-BY-NC-SA-3.0-DE", "CC-BY-NC-SA-3.0-IGO", "CC-BY-ND-3.0-DE", "CC-BY-SA-2.0-UK",
        "CC-BY-SA-2.1-JP", "CC-BY-SA-3.0-AT", "CC-BY-SA-3.0-DE", "CC-BY-SA-3.0-IGO",
    }
)  # fmt: skip
# Licence elements in canonical SPDX order; CC 1.0 wrote "by-nd-nc" for what is BY-NC-ND.
_ELEMENT_ORDER = ("BY", "NC", "ND", "SA")
_CC_URL = re2.compile(
    r"(?i)creativecommons\.org/(?:licenses|licences)/([a-z-]+)/(\d\.\d)(?:/([a-z]{2,3}))?"
)
_CC_PUBLIC_DOMAIN_URL = re2.compile(
    r"(?i)creativecommons\.org/(?:publicdomain/(zero|mark)|licenses/publicdomain)"
)
OBLIGATIONS_BY_ELEMENT = {
    "BY": "credit",
    "NC": "non_commercial",
    "ND": "no_derivatives",
    "SA": "share_alike",
}


def spdx_from_elements(elements: set[str], version: str, port: str | None = None) -> str | None:
    """("BY","SA"), "4.0" -> "CC-BY-SA-4.0"; None when the combination never existed."""
    if not elements or not elements <= set(_ELEMENT_ORDER) or version not in VERSIONS:
        return None
    if "ND" in elements and "SA" in elements:
        return None
    if "BY" not in elements and version != "1.0":
        return None
    name = "CC-" + "-".join(e for e in _ELEMENT_ORDER if e in elements) + f"-{version}"
    if port:
        ported = f"{name}-{port.upper()}"
        if ported in _SPDX_PORTS:
            return ported
    # 2.1 exists only as ported licences; the 1.0 variants without BY have no SPDX id but CC-SA.
    if version == "2.1" or ("BY" not in elements and name != "CC-SA-1.0"):
        return "LicenseRef-" + name
    return name


def spdx_from_url(url: str) -> str | None:
    """A Creative Commons licence or public-domain URL -> SPDX id, else None."""
    if "creativecommons.org" not in url.lower():
        return None
    public = _CC_PUBLIC_DOMAIN_URL.search(url)
    if public:
        kind = (public.group(1) or "").lower()
        return {"zero": "CC0-1.0", "mark": "CC-PDM-1.0"}.get(kind, "CC-PDDC")
    match = _CC_URL.search(url)
    if not match:
        return None
    elements = {part.upper() for part in match.group(1).split("-")}
    return spdx_from_elements(elements, match.group(2), match.group(3))


# Each licence element's name in the languages of our sources.
_ELEMENT_NAMES = {
    "BY": (
        r"attribution|\bby\b|署名|atribuci[oó]n|atribui[cç][aã]o|paternit[ée]|namensnennung|reconocimiento",
        r"атрибуция|с указанием авторства|نسب المصنف|alıntı|atıf|attribuzione|表示|姓名標示",
        r"저작자\s?표시|uznanie\s+autorstwa|naamsvermelding|зазначення\s+авторства",
    ),
    "NC": (
        r"non[\s-]?commer|\bnc\b|非商业|非商業|no ?comercial|n[aã]o ?comercial",
        r"pas d.utilisation commerciale|nicht-?kommerziell|некоммерческ|غير تجاري|gayri ?ticari",
        r"非営利|비영리|niekomercyjn|niet-?commercieel|некомерційн",
    ),
    "ND": (
        r"no[\s-]?deriv|\bnd\b|禁止演绎|禁止演繹|sin ?obra ?derivada|sem ?deriva",
        r"pas de modification",
        r"keine ?bearbeitung|без производных|منع الاشتقاق|türetilemez",
        r"non opere derivate|改変禁止|禁止改作|변경\s?금지|bez utworów zależnych",
        r"geen-?afgeleide|без похідних",
    ),
    "SA": (
        r"share[\s-]?alike|\bsa\b|相同方式共享|compartir ?igual|compartilha ?igual",
        r"partage dans les m[eê]mes conditions|weitergabe unter gleichen|на тех же условиях",
        r"الترخيص بالمثل|aynı lisansla",
        r"condividi allo stesso modo|継承|相同方式分享|동일\s?조건\s?변경\s?허락",
        r"na tych samych warunkach|gelijk-?delen|на тих самих умовах|保持一致",
    ),
}
_NAME_ELEMENTS = tuple(
    (re2.compile("(?i)" + "|".join(names)), element) for element, names in _ELEMENT_NAMES.items()
)
_VERSION = re2.compile(r"([1-4]\.[0-5])")
# A ported licence names its jurisdiction after the version: "3.0 DE", "3.0 Germany", "IGO".
_PORT = re2.compile(r"[1-4]\.[0-5]\s*(?:\(?\s*)([A-Za-z]{2,11})\b")
_PORT_NAMES = {
    "germany": "DE", "deutschland": "DE", "austria": "AT", "österreich": "AT",
    "australia": "AU", "netherlands": "NL", "nederland": "NL", "igo": "IGO",
    "us": "US", "united": "US", "japan": "JP", "france": "FR", "uk": "UK",
}  # fmt: skip


def spdx_from_name(name: str) -> str | None:
    """'Creative Commons Attribution-ShareAlike 4.0 International' -> 'CC-BY-SA-4.0'."""
    lowered = name.lower()
    if "cc0" in lowered or "cc zero" in lowered:
        return "CC0-1.0"
    if "public domain mark" in lowered:
        return "CC-PDM-1.0"
    elements = {element for pattern, element in _NAME_ELEMENTS if pattern.search(name)}
    version = _VERSION.search(name)
    if elements and version and version.group(1) != "1.0":
        elements.add("BY")  # every licence since 2.0 asks for attribution, named or not
    port = _PORT.search(name) if version else None
    code = port.group(1) if port else ""
    port_code = _PORT_NAMES.get(code.lower()) or (
        code if code.isupper() and len(code) == 2 else None
    )
    return spdx_from_elements(elements, version.group(1) if version else "4.0", port_code)


def status_for_spdx(spdx: str) -> str:
    return "public_domain" if spdx in ("CC0-1.0", "CC-PDM-1.0", "CC-PDDC") else "open_license"


def obligations_for_spdx(spdx: str) -> tuple[str, ...]:
    parts = spdx.removeprefix("LicenseRef-").split("-")
    return tuple(OBLIGATIONS_BY_ELEMENT[p] for p in _ELEMENT_ORDER if p in parts)
