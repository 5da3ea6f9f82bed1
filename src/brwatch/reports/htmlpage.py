"""The report as one self-contained HTML page (inline CSS and SVG), and as a PDF of that page.

The PDF is WeasyPrint's rendering of the same template with print CSS (A4, page numbers,
repeated table headers). Both cap the detail lists so a report over 100,000 articles stays
readable and fast; the cap is stated in the document and the full lists are in CSV and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from brwatch.reports.charts import STATUS_COLOURS, bar_chart, line_chart
from brwatch.reports.model import EXCEPTION_KINDS, Report

TEMPLATES = Path(__file__).parent / "templates"
# Charts that sit beside their table (status, decisions) are narrower than full-width ones.
SIDE_CHART_WIDTH = 480


@dataclass(frozen=True)
class Layout:
    """How much detail a format shows: items and exceptions beyond the caps are counted only."""

    name: str
    item_cap: int
    exception_cap: int


HTML = Layout("html", item_cap=1000, exception_cap=1000)
PDF = Layout("pdf", item_cap=200, exception_cap=300)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["label"] = _label
    environment.filters["when"] = _when
    return environment


def _label(key: object) -> str:
    """'permission_required' -> 'permission required'."""
    return str(key).replace("_", " ")


def _when(iso: str | None) -> str:
    """'2026-10-31T12:00:00+00:00' -> '2026-10-31 12:00 UTC' for people; JSON keeps ISO."""
    if not iso:
        return "—"
    return iso[:16].replace("T", " ") + (" UTC" if len(iso) > 10 else "")


def _charts(report: Report) -> dict[str, Markup]:
    totals = report.totals
    statuses = [
        (_label(status), n)
        for status, n in totals["by_status"].items()
        if n or status != "not_checked"
    ]
    status_colours = {_label(status): colour for status, colour in STATUS_COLOURS.items()}
    sources = sorted(
        ((name, counts["relevant"]) for name, counts in report.by_source.items()),
        key=lambda pair: (-pair[1], pair[0]),
    )
    points = report.trend["points"]
    decisions = [(_label(state), n) for state, n in report.decisions["by_outcome"].items()]
    return {
        # The SVG strings escape every label themselves (charts.py).
        "status": Markup(
            bar_chart(
                statuses,
                "Relevant articles by rights status",
                colours=status_colours,
                width=SIDE_CHART_WIDTH,
            )
        ),
        "source": Markup(bar_chart(sources, "Relevant articles by source")),
        "trend": Markup(
            line_chart(
                [point["start"] for point in points],
                {
                    "relevant": [point["relevant"] for point in points],
                    "restricted": [point["restricted"] for point in points],
                },
                f"Relevant and restricted articles per {report.trend['bucket']}",
            )
        ),
        "decisions": Markup(
            bar_chart(decisions, "Review decisions by outcome", width=SIDE_CHART_WIDTH)
        ),
    }


def render_html(report: Report, layout: Layout = HTML) -> str:
    template = _environment().get_template("report.html")
    return template.render(
        r=report.to_dict(),
        report=report,
        layout=layout,
        charts=_charts(report),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        exception_kinds=EXCEPTION_KINDS,
        exception_counts=_exception_counts(report),
        items=report.items[: layout.item_cap],
        exceptions=report.exceptions[: layout.exception_cap],
        cap_notes=layout_notes(report, layout),
    )


def _exception_counts(report: Report) -> dict[str, int]:
    counts = dict.fromkeys(EXCEPTION_KINDS, 0)
    for entry in report.exceptions:
        counts[entry["kind"]] += 1
    return counts


def render_pdf(report: Report) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which HTML/CSV/JSON never need.
    from weasyprint import HTML as WeasyHTML

    document = render_html(report, PDF)
    return WeasyHTML(string=document, url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url: str, *args: object, **kwargs: object) -> dict:
    """The page is self-contained; a report must never make WeasyPrint fetch a URL."""
    raise ValueError(f"report PDFs load no external resources ({url})")


def layout_notes(report: Report, layout: Layout) -> list[str]:
    """What this format leaves out, in words the reader can act on."""
    notes: list[str] = []
    if len(report.exceptions) > layout.exception_cap:
        notes.append(
            f"Exceptions: the first {layout.exception_cap} of {len(report.exceptions)} are listed."
        )
    if report.items_total > layout.item_cap:
        notes.append(
            f"Item details: the newest {layout.item_cap} of {report.items_total} are shown."
        )
    return notes
