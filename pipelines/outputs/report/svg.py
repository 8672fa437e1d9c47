"""Charts of the city report as inline SVG: no script, no external file, no web font. Colours are the
colour-blind-safe Okabe-Ito palette the dashboard uses; every chart has a <title> and <desc> for readers
that cannot see it, and its numbers are also printed in a table next to it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from pipelines.shared import i18n

CITY = "#0072B2"  # blue
BAND = "#56B4E9"  # sky blue
PEER = "#999999"
MEDIAN = "#E69F00"  # orange
BREAK = "#D55E00"  # vermillion
AXIS = "#444444"
FONT = "font-family:Helvetica,Arial,sans-serif"


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    value: float
    low: float | None = None
    high: float | None = None
    is_break: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    tick = start
    while tick <= high + step * 0.5:
        ticks.append(round(tick, 10))
        tick += step
        if tick > high and ticks[-1] >= high:
            break
    return ticks


def _number(value: float, decimals: int) -> str:
    """Tick labels in the report's language (Babel: 62,5 in French)."""
    return i18n.format_number(value, decimals)


def series_chart(
    points: list[Point],
    medians: list[tuple[float, float]],
    title: str,
    description: str,
    unit: str,
    decimals: int = 1,
    median_label: str = "median of all cities",
    band_label: str = "95 % interval",
    width: int = 520,
    height: int = 190,
) -> str:
    """A line of the city's values over time with its 95 % band, and the median of all cities (dashed)."""
    left, right, top, bottom = 52, 12, 14, 40
    values = [p.value for p in points] + [v for _, v in medians]
    values += [p.low for p in points if p.low is not None] + [p.high for p in points if p.high is not None]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 1
    ticks = nice_ticks(lo - pad, hi + pad)
    y_min, y_max = ticks[0], ticks[-1]
    xs = sorted({p.x for p in points} | {x for x, _ in medians})
    x_min, x_max = xs[0], xs[-1]

    def sx(x: float) -> float:
        if x_max == x_min:
            return left + (width - left - right) / 2
        return left + (x - x_min) / (x_max - x_min) * (width - left - right)

    def sy(y: float) -> float:
        return top + (y_max - y) / (y_max - y_min) * (height - top - bottom)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="{FONT};font-size:11px">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for tick in ticks:
        y = sy(tick)
        tick_text = _number(tick, 0 if tick == int(tick) else 1)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">{tick_text}</text>'
        )
    parts.append(
        f'<text x="12" y="{top + (height - top - bottom) / 2:.1f}" transform="rotate(-90 12 '
        f'{top + (height - top - bottom) / 2:.1f})" text-anchor="middle" fill="{AXIS}">{escape(unit)}</text>'
    )
    labels = {p.x: p.label for p in points}
    step = max(1, math.ceil(len(xs) / 10))
    for index, x in enumerate(xs):
        if index % step and index != len(xs) - 1:
            continue
        parts.append(
            f'<text x="{sx(x):.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{AXIS}">'
            f"{escape(labels.get(x, str(int(x))))}</text>"
        )
    banded = [p for p in points if p.low is not None and p.high is not None]
    if len(banded) > 1:
        upper = " ".join(f"{sx(p.x):.1f},{sy(p.high):.1f}" for p in banded)
        lower = " ".join(f"{sx(p.x):.1f},{sy(p.low):.1f}" for p in reversed(banded))
        parts.append(f'<polygon points="{upper} {lower}" fill="{BAND}" fill-opacity="0.35" stroke="none"/>')
    for p in banded:  # whiskers also show single intervals
        parts.append(
            f'<line x1="{sx(p.x):.1f}" x2="{sx(p.x):.1f}" y1="{sy(p.low):.1f}" y2="{sy(p.high):.1f}" '
            f'stroke="{CITY}" stroke-width="1.5"/>'
        )
    if len(medians) > 1:
        path = " ".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in sorted(medians))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{MEDIAN}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    for x, v in medians:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(v):.1f}" r="2.5" fill="{MEDIAN}"/>')
    if len(points) > 1:
        path = " ".join(f"{sx(p.x):.1f},{sy(p.value):.1f}" for p in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{CITY}" stroke-width="2"/>')
    for p in points:
        parts.append(f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.value):.1f}" r="3.5" fill="{CITY}"/>')
        if p.is_break:
            parts.append(
                f'<line x1="{sx(p.x) - 6:.1f}" x2="{sx(p.x) - 6:.1f}" y1="{top}" y2="{height - bottom}" '
                f'stroke="{BREAK}" stroke-width="1" stroke-dasharray="2 2"/>'
            )
    legend_y = height - 8
    parts.append(
        f'<circle cx="{left}" cy="{legend_y - 4}" r="3.5" fill="{CITY}"/>'
        f'<text x="{left + 8}" y="{legend_y}" fill="{AXIS}">{escape(title.split(":")[0])}</text>'
    )
    offset = left + 150
    if banded:
        parts.append(
            f'<rect x="{offset}" y="{legend_y - 9}" width="14" height="9" fill="{BAND}" fill-opacity="0.35"/>'
            f'<text x="{offset + 18}" y="{legend_y}" fill="{AXIS}">{escape(band_label)}</text>'
        )
        offset += 120
    if medians:
        parts.append(
            f'<line x1="{offset}" x2="{offset + 16}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{MEDIAN}" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{offset + 20}" y="{legend_y}" fill="{AXIS}">{escape(median_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def peer_strip(
    values: list[float],
    city_value: float,
    low: float | None,
    high: float | None,
    median: float | None,
    title: str,
    description: str,
    decimals: int = 1,
    width: int = 520,
    height: int = 62,
) -> str:
    """Every city of the peer group as a grey tick on one axis, the city as a blue dot with its 95 % whisker,
    and the group's median as an orange bar."""
    left, right = 20, 20
    all_values = values + [city_value] + [v for v in (low, high, median) if v is not None]
    lo, hi = min(all_values), max(all_values)
    pad = (hi - lo) * 0.05 or 1

    def sx(v: float) -> float:
        return left + (v - (lo - pad)) / ((hi + pad) - (lo - pad)) * (width - left - right)

    axis_y = 28
    parts = [
        f'<svg class="chart strip" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="{FONT};font-size:11px">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" stroke="#cccccc"/>',
    ]
    for v in values:
        parts.append(
            f'<line x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{axis_y - 7}" y2="{axis_y + 7}" stroke="{PEER}" '
            f'stroke-opacity="0.7"/>'
        )
    if median is not None:
        parts.append(f'<rect x="{sx(median) - 1.5:.1f}" y="{axis_y - 12}" width="3" height="24" fill="{MEDIAN}"/>')
    if low is not None and high is not None:
        parts.append(
            f'<line x1="{sx(low):.1f}" x2="{sx(high):.1f}" y1="{axis_y}" y2="{axis_y}" stroke="{CITY}" '
            f'stroke-width="3"/>'
        )
    parts.append(f'<circle cx="{sx(city_value):.1f}" cy="{axis_y}" r="5" fill="{CITY}"/>')
    for v, anchor in ((min(values + [city_value]), "start"), (max(values + [city_value]), "end")):
        parts.append(
            f'<text x="{sx(v):.1f}" y="{axis_y + 24}" text-anchor="{anchor}" fill="{AXIS}">'
            f"{_number(v, decimals)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
