"""Rendering a report into bytes: HTML, PDF, CSV or JSON, all from the same ``Report``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from brwatch.reports.htmlpage import HTML, PDF, render_html, render_pdf
from brwatch.reports.model import Report, ReportError

FORMATS = ("html", "pdf", "csv", "json")
# How many items each format details: pass as build_report(item_limit=...) to load no more.
ITEM_CAPS: dict[str, int | None] = {
    "html": HTML.item_cap,
    "pdf": PDF.item_cap,
    "csv": None,
    "json": None,
}
# One CSV row per item; list-valued fields are joined so every row stays one line of cells.
CSV_COLUMNS = (
    "id",
    "title",
    "url",
    "canonical_url",
    "source",
    "lang",
    "published",
    "collected_at",
    "crawled_at",
    "relevant",
    "restricted",
    "rights_status",
    "page_rights_status",
    "inherited",
    "license",
    "conflict",
    "origin",
    "notices",
    "rule_ids",
    "attribution_link",
    "review_state",
    "snapshot_sha256",
    "decisions",
    "exceptions",
    "ruleset",
    "evidence_package",
)
# Spreadsheets run cells starting with these as formulas; titles come from untrusted pages.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (html, pdf, csv or json) as bytes ready to write or serve."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "csv":
        return render_csv(report).encode("utf-8")
    if fmt == "json":
        return render_json(report).encode("utf-8")
    raise ReportError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = {column: item.get(column) for column in CSV_COLUMNS}
    row["notices"] = " | ".join(notice["text"] for notice in item["notices"])
    row["inherited"] = "; ".join(
        f"{part['status']} via {part['via']} "
        + (f"#{part['article_id']}" if part.get("article_id") else str(part.get("publisher") or ""))
        for part in item.get("inherited") or []
    )
    row["rule_ids"] = "; ".join(item["rule_ids"])
    row["decisions"] = " | ".join(
        f"{d['at']} {d['user'] or '?'} {d['action']} {d['from'] or ''}->{d['to'] or ''}"
        for d in item["decisions"]
    )
    row["exceptions"] = "; ".join(item["exceptions"])
    row["evidence_package"] = item["evidence"]["href"]
    return {column: _cell(value) for column, value in row.items()}


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in report.items:
        writer.writerow(_csv_row(item))
    return buffer.getvalue()
