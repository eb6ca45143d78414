"""The round-over-round chart of a department's theme scores, drawn on the server as SVG.

No JavaScript and no inline styles (strict CSP): presentation attributes only. Each theme has
its own colour *and* dash pattern and marker shape, so the lines can be told apart without
colour; the page shows the same figures in a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from tracker.formatting import number

# Okabe-Ito colours: distinguishable with colour-vision deficiencies, dark enough on white.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4"]

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 180, 16, 40


@dataclass
class Series:
    name: str
    points: list[tuple[str, float | None]]


def _marker(kind: int, x: float, y: float, colour: str) -> str:
    if kind % 3 == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
    if kind % 3 == 1:
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    return (
        f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" '
        f'fill="{colour}"/>'
    )


def line_chart(
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    low: float = 1,
    high: float = 10,
) -> Markup:
    """An accessible SVG line chart: role=img with a title and a description."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / max(1, len(labels)))

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="theme-chart" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for tick in range(int(low), int(high) + 1):
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#333">{tick}</text>'
        )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle" '
            f'font-size="12" fill="#333">{escape(label)}</text>'
        )
    for index, item in enumerate(series):
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
        points = [(x(i), y(v)) for i, (_label, v) in enumerate(item.points) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"{dash_attr}/>'
            )
        for px, py in points:
            parts.append(_marker(index, px, py, colour))
        legend_y = TOP + 18 * index + 6
        legend_x = WIDTH - RIGHT + 16
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{legend_y}" y2="{legend_y}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
        )
        parts.append(_marker(index, legend_x + 12, legend_y, colour))
        last = next((v for _l, v in reversed(item.points) if v is not None), None)
        suffix = f" ({number(last)})" if last is not None else ""
        parts.append(
            f'<text x="{legend_x + 30}" y="{legend_y + 4}" font-size="12" fill="#222">'
            f"{escape(item.name)}{escape(suffix)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
