"""What the page modules share: the queue filter parameters, flash messages, safe links."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Query
from pydantic import BeforeValidator
from starlette.requests import Request

from brwatch.storage.states import REVIEW_STATES
from brwatch.web.queue import QueueFilters, SortKey


def _blank_is_none(value: object) -> object:
    """An empty filter field in a submitted GET form means "no filter"."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
ReviewFilter = Literal[(*REVIEW_STATES, "any")]  # type: ignore[valid-type]


def queue_filters(
    request: Request,
    status: Annotated[
        Literal["prohibited", "permission_required", "attribution_required"] | None,
        Blank,
        Query(description="rights status"),
    ] = None,
    link: Annotated[
        Literal["missing", "broken", "wrong_target"] | None,
        Blank,
        Query(description="attribution link problem"),
    ] = None,
    conflict: Annotated[
        Literal["yes", "no"] | None, Blank, Query(description="explicit signals disagree")
    ] = None,
    review: Annotated[ReviewFilter, Query(description="review state, or any")] = "pending",
    source: Annotated[str | None, Query(max_length=100)] = None,
    lang: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[date | None, Blank, Query(description="published on or after")] = None,
    until: Annotated[date | None, Blank, Query(description="published on or before")] = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the title")] = None,
    include_irrelevant: Annotated[bool, Query(description="also articles off the topic")] = False,
    sort: Annotated[SortKey, Query()] = "newest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> QueueFilters:
    return QueueFilters(
        status=status,
        link=link,
        conflict=None if conflict is None else conflict == "yes",
        review=None if review == "any" else review,
        source=source or None,
        lang=lang or None,
        since=since,
        until=until,
        q=(q or "").strip() or None,
        include_irrelevant=include_irrelevant,
        sort=sort,
        page=page,
        per_page=per_page or request.app.state.settings.page_size,
    )


def flash(request: Request, text: str, kind: str = "ok", **params: Any) -> None:
    """A message shown on the next page; `text` is a msgid, translated when shown."""
    request.session.setdefault("flash", []).append({"kind": kind, "text": text, "params": params})


def queue_query_string(filters: QueueFilters) -> str:
    return urlencode(filters.params())


def safe_http_url(url: str | None) -> str | None:
    """The URL if it is http(s): crawled pages can carry javascript: or data: URLs."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in {"http", "https"} else None


def local_path(target: str | None, default: str = "/queue") -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
