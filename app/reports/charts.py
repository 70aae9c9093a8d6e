"""Bar charts drawn on the server as SVG: no script, no other host; the table beside each
chart is its accessible version, so the chart itself is hidden from assistive technology.

Bars run horizontally, one row per month, stage or quarter: a label on the left, the bar,
its value written at its end, and a value axis with a few rounded gridlines on top. The
drawing is sized in its own units and scales uniformly (never stretched), and is narrow
enough that its text stays readable on a 375 px phone."""

import math
from dataclasses import dataclass, field

from babel.numbers import format_compact_currency, format_compact_decimal, format_decimal
from markupsafe import Markup, escape

PALETTE = ["#1d4ed8", "#059669", "#d97706", "#9333ea", "#dc2626", "#0891b2"]
WIDTH = 360
FONT = 12
CHAR = 7.0  # generous advance of one character at FONT, to reserve room for text
AXIS = 22  # room above the rows for the value axis labels
MAX_LABEL = 18  # longer row labels are cut (the full one is in the table)


@dataclass
class Series:
    name: str  # shown in the legend when there are several (a currency, an activity kind)
    values: list[float | None]  # None: nothing to draw (no data, or a gap)
    texts: list[str]  # written at the bar's end; "" for nothing
    # Row indexes where a figure exists but may not be shown: drawn as a gap with its note.
    gaps: dict[int, str] = field(default_factory=dict)


def nice_step(top: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `count` gridlines."""
    if top <= 0:
        return 1
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def money_text(value: float, currency: str, language: str) -> str:
    """A compact amount for a bar or an axis: '€12K', '12 k€'."""
    if abs(value) < 1000:
        return format_compact_currency(value, currency, locale=language, fraction_digits=0)
    return format_compact_currency(value, currency, locale=language, fraction_digits=1)


def number_text(value: float, language: str) -> str:
    if abs(value) < 10_000:
        return format_decimal(round(value, 2), locale=language)
    return format_compact_decimal(value, locale=language, fraction_digits=1)


def _cut(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _text(x, y, text, anchor="start", cls="") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def bar_chart(
    labels: list[str],
    series: list[Series],
    *,
    empty: str,
    axis_text,
    stacked: bool = False,
    top: float | None = None,
) -> Markup:
    """Horizontal bars, one row per label; several series side by side (amounts in several
    currencies) or stacked (kinds of one count). `axis_text(value)` writes a gridline's
    label; `top` fixes the axis end (5 for a 1–5 score). With nothing to draw, `empty` (a
    sentence) is shown instead of an empty frame."""
    n = len(labels)
    drawn = any(v for s in series for v in s.values) or any(s.gaps for s in series)
    if not n or not drawn:
        return Markup(f'<p class="chart-empty">{escape(empty)}</p>')

    lanes = 1 if stacked else len(series)
    thick = 14 if lanes == 1 else 11
    row_h = thick * lanes + (8 if n <= 16 else 4)
    sums = [
        sum(s.values[i] or 0 for s in series) if stacked else max(s.values[i] or 0 for s in series)
        for i in range(n)
    ]
    top_value = top or max(sums) or 1
    step = nice_step(top_value)
    axis_end = top or step * math.ceil(top_value / step)
    ticks = [step * k for k in range(int(round(axis_end / step)) + 1)]

    label_w = min(max(len(_cut(x)) for x in labels), MAX_LABEL) * CHAR + 10
    value_w = max([len(t) for s in series for t in s.texts] + [len(axis_text(axis_end)) // 2, 3])
    value_w = value_w * CHAR + 8
    x0 = label_w
    bar_w = WIDTH - x0 - value_w
    height = AXIS + n * row_h + 6

    def crowded(marks) -> bool:
        room = bar_w * (marks[1] - marks[0]) / axis_end if len(marks) > 1 else bar_w
        return max(len(axis_text(m)) for m in marks) * CHAR + 8 > room

    while len(ticks) > 2 and crowded(ticks):
        # Labels wider than the room between gridlines: one gridline in two.
        step *= 2
        ticks = [step * k for k in range(int(axis_end // step) + 1)]

    def x_of(value: float) -> float:
        return x0 + bar_w * min(value, axis_end) / axis_end

    parts = [
        f'<svg class="graph" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-size="{FONT}" aria-hidden="true" focusable="false">'
    ]
    for tick in ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS - 4}" x2="{x:.1f}" y2="{height - 4}" class="grid"/>'
        )
        anchor = "start" if tick == 0 else ("end" if tick == ticks[-1] else "middle")
        parts.append(_text(x, AXIS - 8, axis_text(tick), anchor, "tick"))
    for i, label in enumerate(labels):
        y = AXIS + i * row_h + (row_h - thick * lanes) / 2
        parts.append(_text(x0 - 6, y + thick * lanes / 2 + 4, _cut(label), "end", "row"))
        start = x0
        for s_index, s in enumerate(series):
            colour = PALETTE[s_index % len(PALETTE)]
            lane_y = y if stacked else y + s_index * thick
            if i in s.gaps:
                # Colour cannot mark a line of text: with several series, it names its own.
                note = f"{s.name}: {s.gaps[i]}" if len(series) > 1 else s.gaps[i]
                parts.append(_text(x0 + 4, lane_y + thick / 2 + 4, note, cls="gap"))
                continue
            value = s.values[i] or 0
            if stacked:
                end = x_of(sum(v.values[i] or 0 for v in series[: s_index + 1]))
                if end > start:
                    parts.append(_rect(start, lane_y, end - start, thick, colour))
                start = end
                continue
            end = x_of(value)
            if end > x0:
                parts.append(_rect(x0, lane_y, end - x0, thick, colour))
            if s.texts[i]:
                parts.append(_text(end + 4, lane_y + thick / 2 + 4, s.texts[i], cls="value"))
        if stacked and series[0].texts[i]:
            parts.append(_text(start + 4, y + thick / 2 + 4, series[0].texts[i], cls="value"))
    parts.append(f'<line x1="{x0}" y1="{AXIS - 4}" x2="{x0}" y2="{height - 4}" class="base"/>')
    parts.append("</svg>")
    if len(series) > 1:
        parts.append('<p class="legend" aria-hidden="true">')
        for s_index, s in enumerate(series):
            parts.append(
                f'<span class="swatch s{s_index % len(PALETTE)}"></span> {escape(s.name)} '
            )
        parts.append("</p>")
    return Markup(f'<div class="chart">{"".join(parts)}</div>')


def _rect(x, y, w, h, colour) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'
