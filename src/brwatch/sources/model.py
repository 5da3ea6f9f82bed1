"""One crawl source, as written in the sources file (DESIGN.md "Sources file (contract)")."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from brwatch.sources.schedule import TriggerSpec, parse_schedule

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

EntryKind = Literal["start_url", "feed", "sitemap"]
NonEmptyText = Annotated[str, Field(min_length=1)]


def _language_tag(tag: str) -> str:
    if not LANGUAGE_TAG.match(tag):
        raise ValueError(f"{tag!r} is not a language code such as 'en' or 'zh'")
    return tag


def _web_address(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    return url


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
    return pattern


# Item types: a bad item is reported with its position, e.g. "allow[1]: invalid regex …".
LanguageTag = Annotated[str, AfterValidator(_language_tag)]
WebAddress = Annotated[str, AfterValidator(_web_address)]
Regex = Annotated[str, AfterValidator(_regex)]


class Source(BaseModel):
    """A validated source. Build it with `load_sources`; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(description="unique slug: lower-case letters, digits, '-' and '_'")
    title: NonEmptyText | None = None
    lang: list[LanguageTag] = Field(default_factory=list, description="expected language(s)")
    start_urls: list[WebAddress] = Field(
        default_factory=list, description="listing pages to follow"
    )
    feeds: list[WebAddress] = Field(default_factory=list, description="RSS / Atom feeds")
    sitemaps: list[WebAddress] = Field(
        default_factory=list, description="robots.txt, sitemaps, sitemap indexes, news sitemaps"
    )
    allow: list[Regex] = Field(default_factory=list, description="regexes: links to follow")
    deny: list[Regex] = Field(default_factory=list, description="regexes: links never to follow")
    listings: list[Regex] = Field(
        default_factory=list, description="regexes: links that are listing pages, never articles"
    )
    schedule: str | None = Field(default=None, description="cron line or 'every 6h'")
    delay: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="seconds between requests"
    )
    politeness_group: str | None = Field(
        default=None,
        description=(
            "slug shared by sources whose hosts differ but whose operator is one: they share "
            "one politeness budget (delay, requests in flight) across workers"
        ),
    )

    _allow: tuple[re.Pattern[str], ...] = PrivateAttr(default=())
    _deny: tuple[re.Pattern[str], ...] = PrivateAttr(default=())
    _listings: tuple[re.Pattern[str], ...] = PrivateAttr(default=())
    _trigger: TriggerSpec | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug (lower-case letters, digits, '-' and '_', "
                "starting with a letter or digit)"
            )
        return value

    @field_validator("politeness_group")
    @classmethod
    def _group_slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG.match(value):
            raise ValueError(f"politeness_group {value!r} is not a slug (like a source name)")
        return value

    @field_validator("lang", mode="before")
    @classmethod
    def _one_or_many_languages(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)  # raises ValueError with the reason
        return value

    @model_validator(mode="after")
    def _has_an_entry_point(self) -> Source:
        if not (self.start_urls or self.feeds or self.sitemaps):
            raise ValueError("needs at least one of start_urls, feeds, sitemaps")
        return self

    def model_post_init(self, context: object, /) -> None:
        self._allow = tuple(re.compile(p) for p in self.allow)
        self._deny = tuple(re.compile(p) for p in self.deny)
        self._listings = tuple(re.compile(p) for p in self.listings)
        self._trigger = parse_schedule(self.schedule) if self.schedule else None

    @property
    def display_title(self) -> str:
        return self.title or self.name

    @property
    def trigger_spec(self) -> TriggerSpec | None:
        """("cron", fields) or ("interval", seconds); None when the source has no schedule."""
        return self._trigger

    @property
    def entry_points(self) -> list[tuple[EntryKind, str]]:
        """Every URL the crawl starts from, with what kind of document it is."""
        return (
            [("start_url", url) for url in self.start_urls]
            + [("feed", url) for url in self.feeds]
            + [("sitemap", url) for url in self.sitemaps]
        )

    def denies(self, url: str) -> bool:
        """True when a `deny` pattern matches: never follow this URL (article, listing page,
        feed or sitemap item alike)."""
        return any(pattern.search(url) for pattern in self._deny)

    def allows(self, url: str) -> bool:
        """True when a link should be followed: it matches an `allow` pattern (or there are
        none) and no `deny` pattern. Patterns are searched, so anchor them with ^ or $."""
        if self.denies(url):
            return False
        return not self._allow or any(pattern.search(url) for pattern in self._allow)

    def is_listing(self, url: str) -> bool:
        """True when a `listings` pattern matches (and no `deny` pattern): the page is followed
        as a listing (its links read, the page not stored), whatever `allow` says of it."""
        if self.denies(url):
            return False
        return any(pattern.search(url) for pattern in self._listings)
