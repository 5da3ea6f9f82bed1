"""The extracted article: the shape extraction hands to relevance, rights and storage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class ExtractedArticle:
    """What a page says about itself. Every field may be empty on pages that are not articles."""

    title: str | None = None
    text: str = ""
    authors: list[str] = field(default_factory=list)
    # Timezone-aware when the page gives a time zone (or only a date, taken as UTC midnight).
    published: datetime | None = None
    # Where `published` came from: hint, jsonld, meta, time, text, url, htmldate; None if unknown.
    date_source: str | None = None
    lang: str | None = None  # ISO 639-1
    canonical_url: str | None = None  # absolute
    site_name: str | None = None
    # Every name the page gives its site, with where it was found (brwatch.extract.sitename).
    site_names: list[tuple[str, str]] = field(default_factory=list)
    image: str | None = None  # absolute
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; `published` as ISO 8601."""
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data
