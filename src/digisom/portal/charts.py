"""Charts as inline SVG, drawn on the server: readable without JavaScript, no image
requests, and each one sits beside a table with the same figures (the text alternative).
Coordinates are integers: the values are money, scaled by integer division."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup

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
    lines = Markup("").join(
        Markup('<polyline class="{}" fill="none" points="{}"/>').format(
            s.css_class, " ".join(f"{PAD + i * step},{_y(v, top)}" for i, v in enumerate(s.values[-length:])))
        for s in series)
    axis = Markup('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(PAD, HEIGHT - PAD, WIDTH - PAD,
                                                                                HEIGHT - PAD)
    return _svg(label_id, HEIGHT, axis + lines)


def bar_chart(label_id: str, values: Sequence[int]) -> Markup:
    """Horizontal bars, one per value in order (the table beside it names them)."""
    values = list(values)[:POINTS_MAX]
    top = max(values, default=0)
    bar_h = 16
    bars = Markup("").join(
        Markup('<rect class="bar" x="0" y="{}" width="{}" height="{}"/>').format(
            i * (bar_h + 4), (v * WIDTH // top) if top else 0, bar_h)
        for i, v in enumerate(values))
    return _svg(label_id, max(len(values), 1) * (bar_h + 4), bars)


def _svg(label_id: str, height: int, body: Markup) -> Markup:
    return Markup('<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" focusable="false">{}</svg>'
                  ).format(WIDTH, height, label_id, body)
