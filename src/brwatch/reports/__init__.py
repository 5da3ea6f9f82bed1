"""Rights reports for legal: what was collected, restricted, decided and reused in a period.

``build_report(db, since, until, sources)`` gathers one ``Report`` (aggregates in SQL, details
for restricted items and exceptions); ``render(report, "html"|"pdf"|"csv"|"json")`` turns it into
bytes. Bad input (a date, an empty period, an unknown source) raises ``ReportError``.
The JSON schema is ``report.schema.json`` next to this file (documented in docs/reports.md).
"""

from brwatch.reports.gather import build_report
from brwatch.reports.model import SCHEMA_VERSION, Report, ReportError
from brwatch.reports.render import FORMATS, ITEM_CAPS, render

__all__ = [
    "FORMATS",
    "ITEM_CAPS",
    "SCHEMA_VERSION",
    "Report",
    "ReportError",
    "build_report",
    "render",
]
