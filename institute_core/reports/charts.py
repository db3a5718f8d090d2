"""Vector bar charts for the reports, drawn from plain shapes (reportlab.graphics).

Built from rectangles, lines and strings rather than reportlab's chart widgets: the widgets
validate every attribute they touch and cost ~45 ms a chart, which a 200-student batch report
(one chart per student) cannot afford. The output is the same kind of vector drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from institute_core.reports.fonts import FONT, FONT_BOLD, register_fonts
from institute_core.reports.layout import CONTENT_WIDTH, HEADER_FILL

SERIES_COLORS = (HEADER_FILL, colors.HexColor("#e07b39"), colors.HexColor("#3a9d5d"))
AXIS = colors.HexColor("#666666")
GRIDLINE = colors.HexColor("#dde3ea")
LEFT, BOTTOM, TOP_SPACE = 34.0, 22.0, 22.0


def _scale(series: Sequence[Sequence[float]], value_max: float | None) -> tuple[float, float]:
    """(top of the axis, step between ticks); counts get whole-number steps."""
    top = max((float(v) for row in series for v in row), default=0.0)
    if value_max is not None:
        return value_max, value_max / 5
    integers = all(float(v).is_integer() for row in series for v in row)
    if top <= 0:
        return (5.0, 1.0) if integers else (1.0, 0.2)
    # A round step (1, 2, 2.5 or 5 times a power of ten) giving about five ticks; counts
    # never get a fractional step.
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integers:
        step = float(max(1, math.ceil(step)))
    return step * math.ceil(top / step), step


def _tick(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Sequence[float]],
              *, height: float = 150, value_max: float | None = None,
              legend: Sequence[str] = ()) -> Drawing:
    """Vertical bars: one group per label, one bar per series, value ticks on the left."""
    register_fonts()
    drawing = Drawing(CONTENT_WIDTH, height)
    drawing.add(String(0, height - 11, title, fontName=FONT_BOLD, fontSize=9))
    plot_w = CONTENT_WIDTH - LEFT - 6
    plot_h = height - BOTTOM - TOP_SPACE
    top, step = _scale(series, value_max)
    ticks = round(top / step) if step else 0
    for i in range(ticks + 1):
        y = BOTTOM + plot_h * (i * step) / top
        drawing.add(Line(LEFT, y, LEFT + plot_w, y, strokeColor=GRIDLINE if i else AXIS,
                         strokeWidth=0.5))
        drawing.add(String(LEFT - 4, y - 2.5, _tick(i * step), fontName=FONT, fontSize=7,
                           textAnchor="end", fillColor=AXIS))
    groups = max(1, len(labels))
    group_w = plot_w / groups
    bar_w = group_w * 0.7 / max(1, len(series))
    rotate = groups > 8
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.15
        for s, values in enumerate(series):
            value = float(values[g]) if g < len(values) else 0.0
            if value > 0:
                drawing.add(Rect(x0 + s * bar_w, BOTTOM, bar_w * 0.92,
                                 plot_h * min(value, top) / top,
                                 fillColor=SERIES_COLORS[s % len(SERIES_COLORS)],
                                 strokeColor=None))
        label_string = String(LEFT + (g + 0.5) * group_w, BOTTOM - 10, label, fontName=FONT,
                              fontSize=7, textAnchor="middle", fillColor=AXIS)
        if rotate:  # many labels: shorter text keeps them from running into each other
            label_string.text = label[:6]
        drawing.add(label_string)
    x = CONTENT_WIDTH
    for name, color in reversed(list(zip(legend, SERIES_COLORS, strict=False))):
        x -= 7 * len(name) + 18
        drawing.add(Rect(x, height - 11, 7, 7, fillColor=color, strokeColor=None))
        drawing.add(String(x + 10, height - 10, name, fontName=FONT, fontSize=7.5,
                           fillColor=AXIS))
    return drawing
