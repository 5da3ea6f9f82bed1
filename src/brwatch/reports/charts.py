"""Small inline SVG charts: no scripts, no external files, the same in a browser and in a PDF.

Each function returns a complete ``<svg>`` element as a string with every label escaped, plus a
``<title>`` so screen readers (and pdftotext) get the figures too.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "font-family=\"'Noto Sans', 'Noto Sans CJK SC', 'DejaVu Sans', sans-serif\""
# One colour per rights status, fixed so every report reads the same way.
STATUS_COLOURS = {
    "prohibited": "#b3261e",
    "permission_required": "#e8710a",
    "attribution_required": "#f2b705",
    "open_license": "#1e8e3e",
    "public_domain": "#188038",
    "unknown": "#9aa0a6",
    "not_checked": "#d0d4d8",
}
DEFAULT_COLOUR = "#1a73e8"
SERIES_COLOURS = ("#1a73e8", "#b3261e", "#5f6368")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    bars: Sequence[tuple[str, int]],
    title: str,
    *,
    colours: dict[str, str] | None = None,
    width: int = 640,
) -> str:
    """Horizontal bars, one per (label, value), value printed at the end of each bar."""
    row, label_width, value_width, top = 22, 190, 70, 8
    height = top + row * max(len(bars), 1) + 8
    plot = width - label_width - value_width
    peak = max((value for _, value in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" {FONT} font-size="12">',
        f"<title>{escape(title)}: "
        + escape(", ".join(f"{label} {value}" for label, value in bars) or "no data")
        + "</title>",
    ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 14}" fill="#5f6368">No data</text>')
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = plot * value / peak
        colour = (colours or {}).get(label, DEFAULT_COLOUR)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{_fmt(length)}" height="{row - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{_fmt(label_width + length + 4)}" y="{y + 15}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[int]],
    title: str,
    *,
    width: int = 640,
    height: int = 220,
) -> str:
    """One line per series over the labelled buckets, with a y axis from 0 and a legend."""
    left, right, top, bottom = 44, 10, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((max(values, default=0) for values in series.values()), default=0) or 1
    count = len(labels)
    step = plot_w / max(count - 1, 1)

    def x(index: int) -> float:
        return left + (index * step if count > 1 else plot_w / 2)

    def y(value: int) -> float:
        return top + plot_h - plot_h * value / peak

    summary = "; ".join(f"{name} total {sum(values)}" for name, values in series.items())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" {FONT} font-size="11">',
        f"<title>{escape(title)}: {escape(summary or 'no data')}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#5f6368"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#5f6368"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = round(peak * fraction)
        parts.append(
            f'<text x="{left - 4}" y="{_fmt(y(value) + 4)}" text-anchor="end">{value}</text>'
        )
    if not count:
        parts.append(f'<text x="{left + 8}" y="{top + plot_h / 2}" fill="#5f6368">No data</text>')
    # Label at most ~8 buckets so the dates never overlap.
    every = max(1, -(-count // 8))
    for index in range(0, count, every):
        parts.append(
            f'<text x="{_fmt(x(index))}" y="{height - 14}" text-anchor="middle">'
            f"{escape(labels[index])}</text>"
        )
    for number, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        points = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in enumerate(values))
        if count == 1:
            parts.append(
                f'<circle cx="{_fmt(x(0))}" cy="{_fmt(y(values[0]))}" r="3" fill="{colour}"/>'
            )
        elif count:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        legend_x = left + 8 + number * 150
        parts.append(
            f'<rect x="{legend_x}" y="6" width="12" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
