"""Every setting brwatch reads from its environment: typed, with its default and its meaning.

One mechanism (pydantic-settings) for all of them. Settings come in groups, one per part of
brwatch, each a frozen object read from ``BRWATCH_*`` variables when the part starts: the core
here (database, files, fetching, the rights engine's backends) and the crawler's tuning; the
web app, the scheduler and the notifications keep their groups beside their code
(``brwatch.web.settings``, ``brwatch.schedule.settings``, ``brwatch.notify.settings``), built on
:class:`SettingsGroup` below. ``brwatch settings`` shows every value in effect and writes the
one documented table, docs/settings.md (a test checks that the file is what it generates).

A value that does not fit its type is refused with the variable's name and the reason, by the
part that reads it; an empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from brwatch.errors import BrwatchError

ENV_PREFIX = "BRWATCH_"


G = TypeVar("G", bound="SettingsGroup")


class SettingsError(BrwatchError, ValueError):
    """A setting's value is unusable; the message names the variable and the reason."""


class SettingsGroup(BaseSettings):
    """A group of settings read from ``<env_prefix><NAME>`` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", env_ignore_empty=True
    )
    # The heading of this group in docs/settings.md, and a sentence under it.
    title: ClassVar[str] = ""
    about: ClassVar[str] = ""

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """The group from ``environ`` (default: the process environment), with ``overrides``
        (values of command-line options; None means not given) taking precedence."""
        given = {name: value for name, value in overrides.items() if value is not None}
        try:
            if environ is None:
                # Read once per state of the BRWATCH_* variables: the database, fetch and
                # registry paths ask often, and a read costs about half a millisecond.
                return _from_environment(cls, _brwatch_variables()) if not given else cls(**given)
            values = {
                name: environ[cls.env_name(name)]
                for name in cls.model_fields
                if environ.get(cls.env_name(name))
            }
            return cls.model_validate({**values, **given})
        except ValidationError as exc:
            raise SettingsError(cls._reason(exc, given)) from None

    def with_values(self, values: Mapping[str, Any]) -> Self:
        """A copy with some settings replaced (None: keep), converted and checked."""
        given = {name: value for name, value in values.items() if value is not None}
        try:
            return type(self).model_validate({**self.model_dump(), **given})
        except ValidationError as exc:
            raise SettingsError(self._reason(exc, given)) from None

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.model_fields)

    @classmethod
    def help_for(cls, name: str) -> str:
        return cls.model_fields[name].description or ""

    @classmethod
    def env_name(cls, name: str) -> str:
        return f"{cls.model_config.get('env_prefix', '')}{name.upper()}"

    @classmethod
    def _reason(cls, exc: ValidationError, given: Mapping[str, Any]) -> str:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            where = f"setting {name}" if name in given else cls.env_name(name)
            # "Input should be a valid number" -> "crawl_time_limit should be a valid number"
            message = str(error["msg"]).removeprefix("Value error, ").replace("Input", name, 1)
            problems.append(f"{where}={error.get('input')!r}: {message}")
        return "; ".join(problems)


def _brwatch_variables() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)))


@lru_cache(maxsize=64)
def _from_environment(group: type[G], variables: tuple[tuple[str, str], ...]) -> G:
    # ``variables`` is the cache key only: pydantic-settings reads the environment itself.
    return group()


def setting(default: Any, help: str) -> Any:
    """A field with its meaning; counts and seconds are never negative."""
    numeric = isinstance(default, int | float) and not isinstance(default, bool)
    bounds: dict[str, Any] = {"ge": 0} if numeric else {}
    return Field(default, description=help, **bounds)


class CoreSettings(SettingsGroup):
    title: ClassVar[str] = "Core"
    about: ClassVar[str] = "The database, the files brwatch reads, fetching and the rights engine."

    db_url: str = Field("sqlite:///brwatch.db", description="database URL (the same as `--db`)")
    sources: str | None = Field(
        None, description="sources file (the same as `--sources`); unset: the bundled one"
    )
    db_connect_timeout: float = Field(
        10.0, gt=0, description="seconds to connect to PostgreSQL before giving up"
    )
    db_statement_timeout: float = Field(
        300.0, gt=0, description="seconds one PostgreSQL statement may run"
    )
    allowed_networks: str = Field(
        "",
        description="comma-separated CIDRs the safe fetcher and the crawl may reach although "
        "private (tests, intranets)",
    )
    rights_rules: str | None = Field(
        None, description="another directory of rights rules; unset: the bundled `rules/rights`"
    )
    publishers: str | None = Field(
        None, description="another publisher registry; unset: the bundled `rules/publishers.yaml`"
    )
    rights_reader: Literal["auto", "lexbor", "lxml"] = Field(
        "auto", description="page reader of the rights engine (both read the same text)"
    )
    hints_scanner: Literal["auto", "hyperscan", "re2"] = Field(
        "auto", description="markup-hints scanner; `auto`: Hyperscan where it runs, else RE2"
    )
    signing_key: str | None = Field(
        None,
        description="the key that signs evidence packages; unset: `brwatch-signing-key.pem` "
        "in the working directory",
    )
    redis_url: str | None = Field(
        None,
        description="the Redis crawler hosts share (the default for `--redis` of `brwatch "
        "schedule`, `worker` and `status`; the web app's cluster page shows its gates)",
    )
    metrics_token: str | None = Field(
        None, description="bearer token `/metrics` asks for; unset: loopback clients only"
    )


class CrawlSettings(SettingsGroup):
    """The crawler's own tuning. Each is also a Scrapy setting of the same name
    (``BRWATCH_WORKERS`` …), so ``brwatch crawl --set NAME=VALUE`` overrides it for one run."""

    title: ClassVar[str] = "Crawling"
    about: ClassVar[str] = (
        "Read when a crawl starts; `brwatch crawl --set BRWATCH_<NAME>=VALUE` overrides one "
        "for one run (docs/crawling.md lists Scrapy's own settings)."
    )

    user_agent: str = Field(
        "brwatch/0.1 (Belt and Road news rights monitor; +https://example.org/brwatch)",
        description="the crawler's user agent",
    )
    crawl_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="the crawler's log level"
    )
    retry_backoff: float = Field(
        1.0, ge=0, description="seconds before the first retry, doubled per retry"
    )
    max_listing_pages: int = Field(
        20, ge=1, description="listing pages per chain and per URL shape"
    )
    max_child_sitemaps: int = Field(
        10,
        ge=1,
        description="children read from a sitemap index every run, newest first; as many of the "
        "others not yet read are read too, the rest left for later runs",
    )
    max_sitemap_urls: int = Field(
        5000,
        ge=1,
        description="article requests one sitemap makes per run (never-fetched first, newest "
        "first); the rest are left for the next run",
    )
    refetch_after: str = Field(
        "1d=6h, 7d=1d, 30d=7d, 365d=30d, *=180d",
        description="when pages without `ETag`/`Last-Modified` are fetched again, by age: "
        "`AGE=INTERVAL` steps, youngest first, `*` for older, `off` for never (units s, m, h, d, "
        "w); a bad value is refused with exit 2",
    )

    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="worker processes for parsing, extraction and rights",
    )
    page_timeout: float = Field(
        120.0,
        gt=0,
        description="seconds of processing a page may take in its worker; then it is skipped "
        "(`parse` error)",
    )
    store_batch: int = Field(50, ge=1, description="pages per database transaction")
    store_interval: float = Field(
        1.0, gt=0, description="seconds: a partial batch is written at least this often"
    )
    store_outage: float = Field(
        120.0,
        ge=0,
        description="seconds storing may fail (fetching paused, retried with back-off) before "
        "the crawl stops with exit status 3",
    )
    host_concurrency: int = Field(
        4,
        ge=1,
        description="`brwatch worker` only: requests in flight per host or politeness group "
        "across all workers (1 for a host with a fixed delay)",
    )
    gate_margin: float = Field(
        0.15,
        ge=0,
        description="`brwatch worker` only: seconds added to each shared delay, since a request "
        "leaves a moment after its gate opened",
    )
    progress_interval: float = Field(0.5, gt=0, description="seconds between progress events")
    stop_grace: float = Field(
        60.0,
        ge=0,
        description="after Ctrl-C or SIGTERM, seconds to finish and store pages in flight before "
        "the crawl leaves regardless",
    )
