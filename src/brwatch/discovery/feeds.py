"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds -> article links with what the feed says about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from brwatch.discovery.xmldoc import XmlError, child_text, local, parse_xml

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601
    lang: str | None = None


@dataclass(slots=True)
class Feed:
    entries: list[FeedEntry] = field(default_factory=list)
    # The feed's own rights line (<copyright>, <rights>, <dc:rights>): a "feed"-scope signal.
    rights: str | None = None
    # Set when the XML was malformed and only partly recovered.
    problem: str | None = None
    # The newest item date (ISO 8601), items without a link included: how fresh the feed is.
    newest: str | None = None


def parse_date(value: str | None) -> str | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, Dublin Core) -> ISO 8601, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


def _atom_link(entry: etree._Element) -> str | None:
    fallback = None
    for child in entry:
        if local(child) != "link":
            continue
        href = (child.get("href") or "").strip()
        rel = (child.get("rel") or "alternate").lower()
        if href and rel == "alternate":
            return href
        fallback = fallback or href or None
    return fallback


def _rss_link(item: etree._Element) -> str | None:
    link = child_text(item, "link")
    if link:
        return link
    for child in item:
        if local(child) == "guid" and (child.get("isPermaLink") or "true").lower() == "true":
            guid = (child.text or "").strip()
            if guid.startswith(("http://", "https://")):
                return guid
    return None


def parse_feed(body: bytes) -> Feed:
    """Entries of an RSS or Atom feed. Raises XmlError when it is not a feed at all."""
    root, problem = parse_xml(body)
    kind = local(root)
    if kind not in ("rss", "feed", "rdf"):
        raise XmlError(f"not an RSS or Atom feed (root element <{kind}>)")
    channel = next((c for c in root if local(c) == "channel"), root)
    feed_lang = child_text(channel, "language") or root.get(XML_LANG)
    feed = Feed(rights=child_text(channel, "copyright", "rights"), problem=problem)
    for element in root.iter():
        name = local(element)
        if name not in ("item", "entry"):
            continue
        published = parse_date(
            child_text(element, "pubdate", "published", "date", "issued", "updated")
        )
        if published and (feed.newest is None or _utc(published) > _utc(feed.newest)):
            feed.newest = published
        url = _atom_link(element) if name == "entry" else _rss_link(element)
        if not url:
            continue
        feed.entries.append(
            FeedEntry(
                url=url,
                title=child_text(element, "title"),
                published=published,
                lang=element.get(XML_LANG) or child_text(element, "language") or feed_lang,
            )
        )
    if problem and not feed.entries:
        raise XmlError(problem)
    return feed
