"""The publisher registry (``rules/publishers.yaml``): names in every script, domains, terms.

Matching a credit ("来源：新华社", "Source: Xinhua", "(AP) —") to a publisher is the first step of
every attribution check and of the reuse gate's credit-line test, so it lives here once.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brwatch.errors import BrwatchError
from brwatch.rights.model import STATUSES as RIGHTS_STATUSES
from brwatch.rules_location import rules_path
from brwatch.settings import CoreSettings

DEFAULT_PUBLISHERS_FILE = rules_path("publishers.yaml")

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z][a-z0-9-]{1,62}$")
# Scripts written without spaces between words: aliases are found as plain substrings there.
_UNSPACED = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff\u0e80-\u0eff\u0e00-\u0e7f]"
)


_NET_WORDS = "(?![民友络絡站页頁上购購店速])"


class RegistryError(BrwatchError, ValueError):
    """The publisher file is unusable; the message names the file, the entry and the reason."""


class Terms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal[RIGHTS_STATUSES]  # type: ignore[valid-type]
    url: str | None = None
    basis: str | None = None


class Publisher(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,49}$")
    name: str = Field(min_length=2)
    kind: Literal["state_agency", "wire", "newspaper", "broadcaster", "portal", "magazine"]
    country: str = Field(pattern=r"^[A-Z]{2}$")
    aliases: tuple[str, ...] = Field(min_length=1)
    domains: tuple[str, ...] = Field(min_length=1)
    terms: Terms | None = None
    examples: tuple[str, ...] = ()
    # Texts that must not be taken for this publisher ("at dawn" is not Dawn).
    counterexamples: tuple[str, ...] = ()

    @field_validator("aliases")
    @classmethod
    def _aliases_not_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for alias in value:
            if len(alias.strip()) < 2:
                raise ValueError(f"alias {alias!r} is too short to match safely")
        return tuple(a.strip() for a in value)

    @field_validator("domains")
    @classmethod
    def _domains_are_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = []
        for domain in value:
            host = domain.strip().lower().removeprefix("www.")
            if not _DOMAIN.match(host):
                raise ValueError(f"{domain!r} is not a domain name (no scheme, no path)")
            cleaned.append(host)
        return tuple(cleaned)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the publisher may be credited under, the canonical one first."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))

    def owns_host(self, host: str) -> bool:
        host = _normalise_host(host)
        return any(host == d or host.endswith("." + d) for d in self.domains)


def _normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("’", "'").strip()


def _normalise_host(url_or_host: str) -> str:
    value = url_or_host.strip()
    if "//" in value:
        host = urlsplit(value).hostname or ""
    else:
        host = value.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    host = host.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    return host.removeprefix("www.")


def _is_acronym(alias: str) -> bool:
    return alias.isupper() and alias.isalpha() and len(alias) <= 5


def _alias_pattern(alias: str) -> str:
    """A regex for one alias: substring in unspaced scripts, whole words elsewhere."""
    escaped = re.escape(alias)
    if _UNSPACED.search(alias):
        # "中国网" (a publisher) must not fire inside "中国网民" (netizens) and the like.
        return escaped + (_NET_WORDS if alias.endswith(("网", "網")) else "")
    return rf"(?<![\w.@-]){escaped}(?![\w@]|-\w)"


@dataclass(frozen=True, slots=True)
class NameMatch:
    publisher: Publisher
    alias: str
    start: int
    end: int


class PublisherRegistry:
    """Lookups over the validated registry: by name/credit text and by URL or host."""

    def __init__(self, publishers: list[Publisher], source: str = "<memory>") -> None:
        self.publishers = publishers
        self.source = source
        self._by_id = {p.id: p for p in publishers}
        self._by_folded: dict[str, Publisher] = {}
        variants: list[tuple[str, Publisher, str]] = []
        for publisher in publishers:
            for name in publisher.names:
                normal = _normalise_text(name)
                self._by_folded.setdefault(normal.casefold(), publisher)
                # Case matters in running text ("Dawn" the paper, "at dawn"), but credits are
                # often set in capitals ("XINHUA"), so the upper-case form is accepted too.
                for form in {normal, normal.upper()}:
                    variants.append((form, publisher, name))
        variants.sort(key=lambda v: len(v[0]), reverse=True)
        self._variants = variants
        # (No names, as a learned directory may start: a pattern that never matches.)
        alternatives = "|".join(f"({_alias_pattern(v[0])})" for v in variants)
        self._pattern = re.compile(alternatives or "(?!)")
        self._domains = sorted(
            ((d, p) for p in publishers for d in p.domains), key=lambda dp: len(dp[0]), reverse=True
        )

    def __len__(self) -> int:
        return len(self.publishers)

    def __iter__(self) -> Iterator[Publisher]:
        return iter(self.publishers)

    def get(self, publisher_id: str) -> Publisher | None:
        return self._by_id.get(publisher_id)

    def find_names(self, text: str) -> list[NameMatch]:
        """Every publisher name in ``text`` (longest alias at each place), in reading order."""
        normal = _normalise_text(text)
        found = []
        for match in self._pattern.finditer(normal):
            if match.lastindex is None:  # every alternative is a group: never, but say so
                continue
            _form, publisher, alias = self._variants[match.lastindex - 1]
            found.append(NameMatch(publisher, alias, match.start(), match.end()))
        return found

    def match_name(self, text: str | None) -> Publisher | None:
        """The publisher a credit or origin string names: exact name first, else the longest
        name found in the text (earliest on a tie)."""
        if not text:
            return None
        normal = _normalise_text(text)
        exact = self._by_folded.get(normal.casefold())
        if exact is not None:
            return exact
        matches = self.find_names(normal)
        if not matches:
            return None
        best = max(matches, key=lambda m: (m.end - m.start, -m.start))
        return best.publisher

    def match_domain(self, url_or_host: str | None) -> Publisher | None:
        """The publisher owning a URL's host (or a bare host); the most specific domain wins."""
        if not url_or_host:
            return None
        host = _normalise_host(url_or_host)
        for domain, publisher in self._domains:
            if host == domain or host.endswith("." + domain):
                return publisher
        return None

    def example_failures(self) -> list[str]:
        """Every alias and example that does not resolve to its publisher, and every
        counterexample that does: what ``brwatch rules test`` reports for this file."""
        failures = []
        for publisher in self.publishers:
            for text in (*publisher.names, *publisher.examples):
                found = self.match_name(text)
                if found is None or found.id != publisher.id:
                    got = found.id if found else "nothing"
                    failures.append(f"{self.source}: {publisher.id}: {text!r} resolves to {got}")
            for text in publisher.counterexamples:
                found = self.match_name(text)
                if found is not None and found.id == publisher.id:
                    failures.append(
                        f"{self.source}: {publisher.id}: counterexample {text!r} resolves to it"
                    )
        return failures

    def resolve(self, name_or_id: str) -> Publisher | None:
        """A publisher by id, name, alias or domain: what a user types into `grants add`."""
        return (
            self.get(name_or_id)
            or self.match_name(name_or_id)
            or (self.match_domain(name_or_id) if "." in name_or_id else None)
        )


def _entry_label(raw: Any, index: int) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"publisher {ident!r}" if ident else f"publisher #{index + 1}"


def parse_publishers(data: Any, source: str) -> PublisherRegistry:
    if not isinstance(data, dict) or not isinstance(data.get("publishers"), list):
        raise RegistryError(f"{source}: expected a mapping with a 'publishers' list")
    unknown = set(data) - {"version", "publishers"}
    if unknown:
        raise RegistryError(f"{source}: unknown top-level keys {sorted(unknown)}")
    publishers: list[Publisher] = []
    owner_of_name: dict[str, str] = {}
    owner_of_domain: dict[str, str] = {}
    for index, raw in enumerate(data["publishers"]):
        label = _entry_label(raw, index)
        try:
            publisher = Publisher.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise RegistryError(f"{source}: {label}: {where}: {first['msg']}") from exc
        if publisher.id in {p.id for p in publishers}:
            raise RegistryError(f"{source}: {label}: id is used twice")
        for name in publisher.names:
            key = _normalise_text(name).casefold()
            other = owner_of_name.setdefault(key, publisher.id)
            if other != publisher.id:
                raise RegistryError(f"{source}: {label}: alias {name!r} already names {other!r}")
        for domain in publisher.domains:
            other = owner_of_domain.setdefault(domain, publisher.id)
            if other != publisher.id:
                raise RegistryError(
                    f"{source}: {label}: domain {domain!r} already belongs to {other!r}"
                )
        publishers.append(publisher)
    return PublisherRegistry(publishers, source)


def load_publishers(path: str | Path | None = None) -> PublisherRegistry:
    """Load and validate the registry (default: ``rules/publishers.yaml``, env BRWATCH_PUBLISHERS).

    The default file is cached; pass a path to read another one fresh.
    """
    if path is None:
        return _default_registry(CoreSettings.load().publishers or str(DEFAULT_PUBLISHERS_FILE))
    return _read_registry(Path(path))


@cache
def _default_registry(path: str) -> PublisherRegistry:
    return _read_registry(Path(path))


def _read_registry(path: Path) -> PublisherRegistry:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read publisher registry ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML ({exc})") from exc
    return parse_publishers(data, str(path))
