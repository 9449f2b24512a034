"""Charts as inline SVG, drawn on the server: readable without JavaScript, no image
requests, and each one sits beside a table with the same figures (the text alternative).
Coordinates are integers: the values are money, scaled by integer division."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final = 640
HEIGHT: Final = 240
PAD: Final = 24
POINTS_MAX: Final = 400  # a chart never draws more points than this, however long the history


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its CSS class (its colour and dash) and its values, one per label."""

    css_class: str
    values: Sequence[int]


def _y(value: int, top: int) -> int:
    plot = HEIGHT - 2 * PAD
    return HEIGHT - PAD - (value * plot // top if top else 0)


def line_chart(label_id: str, series: Sequence[Series]) -> Markup:
    """An SVG of `series` on one scale from 0, labelled by the element `label_id` (the
    table's caption): decorative detail is left to the table."""
    length = min(max((len(s.values) for s in series), default=0), POINTS_MAX)
    top = max((max(s.values[-length:], default=0) for s in series), default=0)
    step = (WIDTH - 2 * PAD) // max(length - 1, 1)
    lines = []
    for s in series:
        values = s.values[-length:]
        points = " ".join(f"{PAD + i * step},{_y(v, top)}" for i, v in enumerate(values))
        lines.append(f'<polyline class="{escape(s.css_class)}" fill="none" points="{points}"/>')
    axis = f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>'
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{escape(label_id)}"'
                  f' focusable="false">{axis}{"".join(lines)}</svg>')


def bar_chart(label_id: str, values: Sequence[int]) -> Markup:
    """Horizontal bars, one per value in order (the table beside it names them)."""
    values = list(values)[:POINTS_MAX]
    top = max(values, default=0)
    bar_h = 16
    height = max(len(values), 1) * (bar_h + 4)
    bars = "".join(
        f'<rect class="bar" x="0" y="{i * (bar_h + 4)}" width="{(v * WIDTH // top) if top else 0}" height="{bar_h}"/>'
        for i, v in enumerate(values))
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(label_id)}"'
                  f' focusable="false">{bars}</svg>')
