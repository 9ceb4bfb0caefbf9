"""The report's charts as PDF vector graphics (reportlab.graphics), each wrapped in its own Form XObject.

The overview draws these figures with Altair; rendering those specs to PNG through vl-convert cost
~0.9 s a chart with the CJK font (~4 s for the first of a process), most of the PDF's time at 1M rows.
Drawn here from the same frames (the overview's NPS trend, the Analysis page's CSAT and CES trends with
their significant changes, NPS by stage and channel with CIs), they take milliseconds, stay sharp at any
zoom and print size, and their labels are real text in the embedded font (they extract as text).
Each chart is one Form XObject (``/FormXob.chart_<key>``), so a reader of the file can tell charts apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from cem_core.charts.palette import NEGATIVE, POSITIVE

LINE = colors.HexColor("#1f77b4")
BAND = colors.Color(LINE.red, LINE.green, LINE.blue, alpha=0.2)
GRID = colors.HexColor("#dde3ea")
INK = colors.HexColor("#333333")
LABEL = 7.0  # point size of tick labels
TITLE = 8.0  # point size of axis titles


class Chart(Flowable):
    """A drawing placed as a named Form XObject (vector, drawn once, shown where the story puts it)."""

    def __init__(self, drawing: Drawing, key: str) -> None:
        super().__init__()
        self.drawing, self.key = drawing, key

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.drawing.width, self.drawing.height

    def draw(self) -> None:
        name = f"chart_{self.key}"
        self.canv.beginForm(name, 0, 0, self.drawing.width, self.drawing.height)
        renderPDF.draw(self.drawing, self.canv, 0, 0)
        self.canv.endForm()
        self.canv.doForm(name)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    return [round(first + i * step, 10) for i in range(math.ceil((hi - first) / step - 1e-9) + 1)]


def _tick_text(value: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{digits}f}"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _triangle(x: float, y: float, up: bool, colour: colors.Color, r: float = 4.5) -> Polygon:
    tip = r if up else -r
    return Polygon([x - r, y - tip * 0.6, x + r, y - tip * 0.6, x, y + tip], fillColor=colour, strokeColor=None)


def trend(labels: Sequence[str], value: Sequence[float], low: Sequence[float], high: Sequence[float],
          y_title: str, font: str, width: float, height: float = 175.0,
          direction: Sequence[int] | None = None, legend: tuple[str, str] | None = None) -> Drawing:
    """A value per period with its 95 % CI band (periods as category labels, e.g. 2026-03); where
    ``direction`` is 1 or -1 the point is a green up or red down triangle (a significant change), as the
    Analysis page marks them, explained by ``legend`` (rise, fall)."""
    d = Drawing(width, height)
    left, right, bottom, top = 44.0, 8.0, 30.0, 16.0 if legend else 8.0
    plot_w, plot_h = width - left - right, height - bottom - top
    finite = [v for v in (*value, *low, *high) if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(finite), max(finite)) if finite else [0.0, 1.0]
    y_lo, y_hi = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1
    n = len(labels)

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y_at(v: float) -> float:
        return bottom + plot_h * (v - y_lo) / (y_hi - y_lo)

    for tick in ticks:
        d.add(Line(left, y_at(tick), left + plot_w, y_at(tick), strokeColor=GRID, strokeWidth=0.5))
        d.add(String(left - 3, y_at(tick) - LABEL / 3, _tick_text(tick, ticks), fontName=font, fontSize=LABEL,
                     textAnchor="end", fillColor=INK))
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=INK, strokeWidth=0.6))
    every = max(1, math.ceil(n * stringWidth("2026-00", font, LABEL) / (plot_w * 0.8))) if n else 1
    for i, label in enumerate(labels):
        if i % every == 0:
            d.add(String(x_at(i), bottom - LABEL - 3, label, fontName=font, fontSize=LABEL, textAnchor="middle",
                         fillColor=INK))
    title = String(0, 0, _fit(y_title, font, TITLE, plot_h), fontName=font, fontSize=TITLE, textAnchor="middle",
                   fillColor=INK)
    d.add(_rotated(title, 9, bottom + plot_h / 2))

    band = [i for i in range(n) if _ok(low[i]) and _ok(high[i])]
    if len(band) > 1:
        points = [c for i in band for c in (x_at(i), y_at(high[i]))]
        points += [c for i in reversed(band) for c in (x_at(i), y_at(low[i]))]
        d.add(Polygon(points, fillColor=BAND, strokeColor=None))
    shown = [i for i in range(n) if _ok(value[i])]
    if len(shown) > 1:
        d.add(PolyLine([c for i in shown for c in (x_at(i), y_at(value[i]))], strokeColor=LINE, strokeWidth=1.4))
    for i in shown:
        mark = direction[i] if direction is not None else 0
        if mark:
            d.add(_triangle(x_at(i), y_at(value[i]), mark > 0, colors.HexColor(POSITIVE if mark > 0 else NEGATIVE)))
        else:
            d.add(Circle(x_at(i), y_at(value[i]), 2.2, fillColor=LINE, strokeColor=None))
    if legend:
        x = left
        for up, text in ((True, legend[0]), (False, legend[1])):
            d.add(_triangle(x + 4, height - 9, up, colors.HexColor(POSITIVE if up else NEGATIVE), r=3.5))
            d.add(String(x + 11, height - 11.5, text, fontName=font, fontSize=LABEL, fillColor=INK))
            x += 11 + stringWidth(text, font, LABEL) + 14
    return d


def bars(names: Sequence[str], value: Sequence[float], low: Sequence[float], high: Sequence[float],
         x_title: str, font: str, width: float) -> Drawing:
    """Horizontal NPS bars (green at or above zero, red below) with 95 % CI whiskers, in the given order
    from the top (the table under the chart gives the figures)."""
    row = 16.0
    left, right, bottom, top = 110.0, 14.0, 28.0, 6.0
    height = bottom + top + row * max(len(names), 1)
    d = Drawing(width, height)
    plot_w = width - left - right
    finite = [v for v in (0.0, *value, *low, *high) if _ok(v)]
    ticks = nice_ticks(min(finite), max(finite))
    x_lo, x_hi = ticks[0], ticks[-1]

    def x_at(v: float) -> float:
        return left + plot_w * (v - x_lo) / (x_hi - x_lo)

    for tick in ticks:
        d.add(Line(x_at(tick), bottom, x_at(tick), height - top, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(x_at(tick), bottom - LABEL - 3, _tick_text(tick, ticks), fontName=font, fontSize=LABEL,
                     textAnchor="middle", fillColor=INK))
    d.add(String(left + plot_w / 2, 3, x_title, fontName=font, fontSize=TITLE, textAnchor="middle", fillColor=INK))
    for i, name in enumerate(names):
        y = height - top - row * (i + 1)
        d.add(String(left - 4, y + row / 2 - LABEL / 3, _fit(str(name), font, LABEL, left - 8), fontName=font,
                     fontSize=LABEL, textAnchor="end", fillColor=INK))
        if not _ok(value[i]):
            continue
        colour = colors.HexColor(POSITIVE if value[i] >= 0 else NEGATIVE)
        x0, x1 = sorted((x_at(0.0), x_at(value[i])))
        d.add(Rect(x0, y + 3, max(x1 - x0, 0.5), row - 6, fillColor=colour, strokeColor=None))
        if _ok(low[i]) and _ok(high[i]):
            mid = y + row / 2
            d.add(Line(x_at(low[i]), mid, x_at(high[i]), mid, strokeColor=INK, strokeWidth=0.8))
            for end in (low[i], high[i]):
                d.add(Line(x_at(end), mid - 2.5, x_at(end), mid + 2.5, strokeColor=INK, strokeWidth=0.8))
    d.add(Line(x_at(0.0), bottom, x_at(0.0), height - top, strokeColor=INK, strokeWidth=0.6))
    return d


def _ok(v: object) -> bool:
    return v is not None and not pd.isna(v) and math.isfinite(float(v))  # type: ignore[arg-type]


def _rotated(s: String, x: float, y: float) -> Group:
    """``s`` turned 90° counter-clockwise, centred at (x, y): a y-axis title."""
    g = Group(s)
    g.transform = (0, 1, -1, 0, x, y)
    return g
