"""A department's scores per theme, drawn on the server as SVG: per theme a bar for this
round, an outlined bar for the previous round and a black tick for the benchmark.

No JavaScript and no inline styles (strict CSP): presentation attributes only. The three
figures differ in shape as well as colour (solid bar, outlined bar, tick), each bar carries
its value as text, and the page shows the same figures in a table beside the chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from tracker.formatting import number

# Okabe-Ito blue: distinguishable with colour-vision deficiencies, dark enough on white.
CURRENT = "#0072B2"
PREVIOUS = "#56B4E9"
BENCHMARK = "#000000"

WIDTH = 640
LEFT, RIGHT, TOP = 190, 56, 40
GROUP, BAR = 46, 14


@dataclass(frozen=True)
class ThemeBar:
    theme: str
    score: float
    previous: float | None
    benchmark: float | None


@dataclass(frozen=True)
class Legend:
    current: str
    previous: str
    benchmark: str


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="#222">{escape(text)}</text>'
    )


def theme_chart(
    title: str, description: str, legend: Legend, bars: list[ThemeBar], low=1, high=10
) -> Markup:
    """An accessible SVG bar chart: role=img with a title and a description. Each drawn
    figure carries data-theme, data-series and data-value (the figure as the table shows it)."""
    height = TOP + GROUP * len(bars) + 32
    plot_w = WIDTH - LEFT - RIGHT

    def x(value: float) -> float:
        return LEFT + plot_w * (value - low) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="theme-chart" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        # Legend: one swatch per figure, in the shape it has in the chart.
        f'<rect x="{LEFT}" y="8" width="14" height="10" fill="{CURRENT}"/>',
        _text(LEFT + 18, 17, legend.current),
        f'<rect x="{LEFT + 150}" y="8" width="14" height="10" fill="#fff" '
        f'stroke="{PREVIOUS}" stroke-width="2"/>',
        _text(LEFT + 168, 17, legend.previous),
        f'<line x1="{LEFT + 307}" x2="{LEFT + 307}" y1="5" y2="21" stroke="{BENCHMARK}" '
        f'stroke-width="3"/>',
        _text(LEFT + 314, 17, legend.benchmark),
    ]
    bottom = TOP + GROUP * len(bars)
    for tick in range(int(low), int(high) + 1):
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 4}" y2="{bottom}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
        )
        parts.append(_text(x(tick), bottom + 16, str(tick), "middle"))
    for index, bar in enumerate(bars):
        top = TOP + GROUP * index
        theme = escape(bar.theme)
        parts.append(_text(LEFT - 8, top + BAR + 4, bar.theme, "end"))
        parts.append(
            f'<rect x="{LEFT}" y="{top + 2}" width="{x(bar.score) - LEFT:.1f}" height="{BAR}" '
            f'fill="{CURRENT}" data-theme="{theme}" data-series="current" '
            f'data-value="{number(bar.score)}"/>'
        )
        parts.append(_text(x(bar.score) + 4, top + BAR, number(bar.score), size=11))
        if bar.previous is not None:
            parts.append(
                f'<rect x="{LEFT}" y="{top + BAR + 5}" width="{x(bar.previous) - LEFT:.1f}" '
                f'height="{BAR - 4}" fill="#fff" stroke="{PREVIOUS}" stroke-width="2" '
                f'data-theme="{theme}" data-series="previous" '
                f'data-value="{number(bar.previous)}"/>'
            )
            parts.append(
                _text(x(bar.previous) + 4, top + 2 * BAR + 1, number(bar.previous), size=11)
            )
        if bar.benchmark is not None:
            parts.append(
                f'<line x1="{x(bar.benchmark):.1f}" x2="{x(bar.benchmark):.1f}" y1="{top}" '
                f'y2="{top + 2 * BAR + 6}" stroke="{BENCHMARK}" stroke-width="3" '
                f'data-theme="{theme}" data-series="benchmark" '
                f'data-value="{number(bar.benchmark)}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
