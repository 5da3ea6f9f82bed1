"""A digest in the user's language: a subject and a plain text (email), and the same text as
Slack/Teams-compatible JSON (both accept ``{"text": …}`` on an incoming webhook)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from brwatch.notify.i18n import N_, translations
from brwatch.notify.outbox import EXPIRING_GRANT, FLAGGED_ITEM, SOURCE_FLAG

SECTIONS = (
    (FLAGGED_ITEM, N_("New flagged items")),
    (SOURCE_FLAG, N_("Sources flagged by monitoring")),
    (EXPIRING_GRANT, N_("Permission grants expiring soon")),
)
STATUS_LABELS = {
    "prohibited": N_("Prohibited"),
    "permission_required": N_("Permission required"),
    "attribution_required": N_("Attribution required"),
    "open_license": N_("Open licence"),
    "public_domain": N_("Public domain"),
    "unknown": N_("Unknown"),
    None: N_("Not checked"),
}
FLAG_LABELS = {
    "no_items": N_("no items"),
    "error_rate": N_("error rate"),
    "item_drop": N_("item drop"),
    "capped": N_("left out by a crawl cap"),
}


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str

    def webhook_json(self) -> dict[str, Any]:
        return {"text": f"*{self.subject}*\n\n{self.text}"}


def compose(
    locale: str | None, items: list[tuple[str, dict[str, Any]]], public_url: str, max_items: int
) -> Digest:
    """The digest of ``items`` ((kind, detail) pairs) for a user speaking ``locale``."""
    _ = translations(locale).gettext
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, detail in items:
        by_kind[kind].append(detail)
    base = public_url.rstrip("/")
    lines: list[str] = []
    for kind, title in SECTIONS:
        entries = by_kind.get(kind, [])
        if not entries:
            continue
        lines += [f"{_(title)} ({len(entries)})", ""]
        if kind == FLAGGED_ITEM:
            lines += _flagged(entries, _, base, max_items)
        elif kind == SOURCE_FLAG:
            lines += [
                f"- {e['source']}: {_(FLAG_LABELS.get(e['kind'], e['kind']))} — {e['detail']}"
                for e in entries[:max_items]
            ]
        else:
            lines += [
                "- "
                + _("Grant #%(id)s for %(publisher)s ends on %(date)s")
                % {"id": e["id"], "publisher": e["publisher"], "date": (e["valid_to"] or "")[:10]}
                for e in entries[:max_items]
            ]
        if len(entries) > max_items:
            lines.append(_("… and %(count)d more") % {"count": len(entries) - max_items})
        lines.append("")
    if base:
        lines.append(
            _("Change these notifications: %(url)s") % {"url": f"{base}/account/notifications"}
        )
    subject = _("brwatch: %(count)d new notifications") % {"count": len(items)}
    return Digest(subject, "\n".join(lines).strip() + "\n")


def _flagged(entries: list[dict[str, Any]], _: Any, base: str, max_items: int) -> list[str]:
    """Flagged items grouped by rights status, each with its title, source and link."""
    by_status: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_status[entry.get("status")].append(entry)
    lines: list[str] = []
    shown = 0
    for status, label in STATUS_LABELS.items():
        group = by_status.pop(status, [])
        if not group:
            continue
        lines.append(f"{_(label)}: {len(group)}")
        for entry in group:
            if shown >= max_items:
                break
            shown += 1
            where = f"{base}/items/{entry['id']}" if base else entry["url"]
            lines.append(f"- {entry['title'] or entry['url']} ({entry['source']}) {where}")
    return lines
