"""A grouped bar chart as inline SVG: no script, no library, readable when printed.

The chart carries a ``<title>`` and a ``<desc>`` for screen readers; every bar shows its
value as text, so no figure depends on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 320
TOP, RIGHT, BOTTOM, LEFT = 40, 16, 56, 48


@dataclass(frozen=True)
class Series:
    """One kind of bar: its name, its colour and a value per group."""

    name: str
    color: str
    values: Sequence[float]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def grouped_bar_chart(
    title: str, description: str, groups: Sequence[str], series: Sequence[Series]
) -> Markup:
    """An SVG chart with one group of bars per entry of ``groups``, one bar per series."""
    top = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#c8c8c8"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#1a1a1a">{_number(value)}</text>'
        )
    for g_index, group in enumerate(groups):
        x0 = LEFT + g_index * group_w + group_w * 0.1
        for s_index, item in enumerate(series):
            value = item.values[g_index]
            height = plot_h * value / top
            x = x0 + s_index * bar_w
            y = TOP + plot_h - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{height:.1f}" '
                f'fill="{escape(item.color)}"><title>{escape(group)}, {escape(item.name)}: '
                f'{_number(value)}</title></rect>'
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'fill="#1a1a1a">{_number(value)}</text>'
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
            f'fill="#1a1a1a">{escape(group)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#1a1a1a"/>'
    )
    legend_x = LEFT
    for item in series:
        parts.append(
            f'<rect x="{legend_x}" y="12" width="12" height="12" fill="{escape(item.color)}"/>'
            f'<text x="{legend_x + 18}" y="22" fill="#1a1a1a">{escape(item.name)}</text>'
        )
        legend_x += 24 + 8 * len(item.name)
    parts.append("</svg>")
    return Markup("".join(parts))  # every text above is escaped


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
