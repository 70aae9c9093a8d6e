"""Bar charts drawn on the server as SVG: no script, no other host, readable as a table too."""

from markupsafe import Markup, escape

PALETTE = ["#1d4ed8", "#059669", "#d97706", "#9333ea", "#dc2626", "#0891b2"]


def bar_chart(labels: list[str], series: list[tuple[str, list[float]]], title: str) -> Markup:
    """Stacked bars, one per label; each series a colour. Sized by viewBox, so it scales
    to a phone's width."""
    width, height, left, bottom = 640, 220, 8, 24
    n = max(len(labels), 1)
    totals = [sum(values[i] or 0 for _name, values in series) for i in range(len(labels))]
    top = max(totals + [0]) or 1
    step = (width - left) / n
    bar = max(step * 0.7, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="none">'
    ]
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar) / 2
        y = height - bottom
        for s, (name, values) in enumerate(series):
            value = values[i] or 0
            h = (height - bottom - 8) * value / top
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: '
                f"{value:g}</title></rect>"
            )
        if n <= 16 or i % max(n // 8, 1) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
