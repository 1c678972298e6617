"""Server-rendered SVG bar charts: no script, a few hundred bytes each, readable at 360 px.

The SVG is decorative for screen readers (aria-hidden): every chart stands next to a table
with the same figures. All geometry is computed here, so no number lives in a template.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 320  # viewBox units; the chart scales to its container
BAR_MAX = 250
ROW = 34
COLOURS = {"good": "#1b5e20", "warn": "#8a5a00", "bad": "#b71c1c", "plain": "#0b4ea2",
           "none": "#767676"}


def bar_chart(rows: list[tuple[str, int, str]], value_text=str) -> Markup:
    """Horizontal bars: each row (label, value, tone) is a label line over a bar with its
    value at the end. Tones: good, warn, bad, plain, none."""
    top = max((v for _, v, _ in rows), default=0)
    height = ROW * len(rows) + 2
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-hidden="true" focusable="false">']  # 13 units: .chart in app.css
    for i, (label, value, tone) in enumerate(rows):
        y = i * ROW
        w = round(BAR_MAX * value / top) if top else 0
        # The bar as a path (M x y, h width, v 14): the bytes of a <rect> without its names.
        parts.append(f'<text y="{y + 12}">{escape(label)}</text>'
                     f'<path d="M0 {y + 16}h{max(w, 1)}v14H0z" '
                     f'fill="{COLOURS.get(tone, COLOURS["plain"])}"/>'
                     f'<text x="{max(w, 1) + 4}" y="{y + 28}">{escape(value_text(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704 — every label and value escaped above
