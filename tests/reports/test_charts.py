"""The report's vector charts: round axis ticks that cover the data, and charts of awkward data (one
month, a month without a CI, a bar without a figure) still drawn, their labels in the drawing."""

from __future__ import annotations

import itertools
import math

import pytest
from reportlab.graphics.shapes import Drawing, Group, String

from cem_core.reports import charts
from cem_core.reports.pdf import FONT, register_font


def strings(drawing: Drawing | Group) -> list[str]:
    out = []
    for node in drawing.contents:
        if isinstance(node, String):
            out.append(node.text)
        elif isinstance(node, Group):
            out += strings(node)
    return out


@pytest.mark.parametrize(("lo", "hi"), [(-23.4, 61.2), (3.71, 3.93), (0.0, 0.0), (48.0, 52.5)])
def test_ticks_are_round_and_cover_the_data(lo: float, hi: float):
    ticks = charts.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) >= 2
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    (step,) = steps
    assert round(step / 10 ** math.floor(math.log10(step)), 9) in (1, 2, 5)


def test_awkward_data_is_still_drawn():
    register_font()
    one = charts.trend(["2026-03"], [41.0], [float("nan")], [None], "NPS", FONT, 400)
    assert "2026-03" in strings(one) and "NPS" in strings(one)
    marked = charts.trend(["2026-01", "2026-02", "2026-03"], [4.1, None, 4.6], [3.9, None, 4.4], [4.3, None, 4.8],
                          "CES", FONT, 400, direction=[0, 0, 1], legend=("显著上升", "显著下降"))
    assert {"显著上升", "显著下降", "2026-02"} <= set(strings(marked))
    bars = charts.bars(["前台", "一个很长很长很长很长很长很长很长很长很长的触点名称", "空"], [12.0, -8.5, float("nan")],
                       [5.0, -15.0, float("nan")], [19.0, -2.0, float("nan")], "NPS", FONT, 400)
    labels = strings(bars)
    assert "前台" in labels and "空" in labels and any(s.endswith("…") for s in labels)  # long names cut
