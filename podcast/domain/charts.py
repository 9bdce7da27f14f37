"""Small SVG charts for reports read by people who never open a terminal: bars over time, a
share per item, a curve against a median. Pure functions: numbers in, SVG text out.

Each chart is an <svg role="img"> with a <title> and a <desc> saying what it shows in words
(screen readers read those); the page puts the same numbers in a table beside it. No script,
no fonts to load, no external file: a chart is a few kilobytes of text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

INK = "#1f2933"  # text and axes: 14:1 on white
GRID = "#d5dbe1"
BAR = "#2458a6"  # 7:1 on white
MEDIAN = "#b3261e"
FAINT = "#6b7785"  # 4.6:1 on white


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value` (an axis maximum people read easily)."""
    if value <= 0:
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def _svg(ident: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="{ident}-t {ident}-d" class="chart">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def axis(largest: float) -> tuple[float, int]:
    """(top, ticks): an axis maximum whose ticks are round numbers (0, 5, 10 or 0, 2, 4...)."""
    step = nice_ceiling(max(largest, 1) / 4)
    ticks = max(1, math.ceil(max(largest, 1) / step))
    return step * ticks, ticks


def _y_axis(largest: float, left: int, right: int, y0: int, height: int) -> tuple[float, list[str]]:
    top, ticks = axis(largest)
    body = []
    for i in range(ticks + 1):
        value = top * i / ticks
        y = y0 - height * i / ticks
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="{INK}">{number(value)}</text>'
        )
    return top, body


def number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value >= 1 or value == 0 else f"{value:.1f}"


def bars(ident: str, title: str, desc: str, points: Sequence[tuple[str, float]], width: int = 720) -> str:
    """Vertical bars, one per (label, value), labels thinned to stay readable."""
    height, left, bottom, top_pad = 260, 56, 40, 12
    plot_w, plot_h = width - left - 12, height - bottom - top_pad
    top, body = _y_axis(max((v for _, v in points), default=0), left, width - 12, height - bottom, plot_h)
    step = plot_w / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 12))
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = left + i * step
        body.append(
            f'<rect x="{x + step * 0.12:.1f}" y="{height - bottom - h:.1f}" width="{max(step * 0.76, 1):.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: {number(value)}</title></rect>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="12" '
                f'fill="{INK}">{escape(label)}</text>'
            )
    return _svg(ident, title, desc, width, height, body)


def shares(ident: str, title: str, desc: str, items: Sequence[tuple[str, float, float]], width: int = 720) -> str:
    """Horizontal bars: (label, value, share 0–1) per row, the share written at the bar's end."""
    row, left = 28, 190
    height = row * max(len(items), 1) + 8
    longest = max((v for _, v, _ in items), default=0) or 1
    body = []
    for i, (label, value, share) in enumerate(items):
        y = 4 + i * row
        w = (width - left - 90) * value / longest
        name = escape(_short(label))
        body.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" font-size="13" fill="{INK}">{name}</text>')
        body.append(f'<rect x="{left}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 10}" fill="{BAR}"/>')
        body.append(f'<text x="{left + w + 6:.1f}" y="{y + 18}" font-size="13" fill="{INK}">{share * 100:.1f} %</text>')
    return _svg(ident, title, desc, width, height, body)


def _short(label: str, size: int = 26) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def curve(
    ident: str, title: str, desc: str, series: Sequence[float | None], median: Sequence[float | None], top: float
) -> str:
    """One episode's cumulative downloads per day since release (solid) against the show's
    median (dashed), on a shared scale `top` so small multiples compare."""
    width, height, left, bottom = 300, 160, 44, 26
    plot_w, plot_h = width - left - 8, height - bottom - 10
    days = max(len(series), len(median), 2)
    top = axis(top)[0]

    def path(values: Sequence[float | None]) -> str:
        points = [
            f"{left + plot_w * i / (days - 1):.1f},{height - bottom - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
            if v is not None
        ]
        return "M" + " L".join(points) if len(points) > 1 else ""

    body = [
        f'<line x1="{left}" x2="{width - 8}" y1="{height - bottom}" y2="{height - bottom}" stroke="{GRID}"/>',
        f'<line x1="{left}" x2="{width - 8}" y1="{height - bottom - plot_h}" y2="{height - bottom - plot_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 4}" y="{height - bottom - plot_h + 4}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{number(top)}</text>",
        f'<text x="{left - 4}" y="{height - bottom + 4}" text-anchor="end" font-size="11" fill="{INK}">0</text>',
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="{INK}">1</text>',
        f'<text x="{width - 8}" y="{height - 8}" text-anchor="end" font-size="11" fill="{INK}">{days}</text>',
    ]
    if median_path := path(median):
        body.append(f'<path d="{median_path}" fill="none" stroke="{MEDIAN}" stroke-width="2" stroke-dasharray="5 4"/>')
    if series_path := path(series):
        body.append(f'<path d="{series_path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
    return _svg(ident, title, desc, width, height, body)
