"""Charts converted to their Vega-Lite spec once per distinct input, shared by every session.

``st.altair_chart`` converts its chart at every rerun: Altair builds the chart, validates it against the
Vega-Lite JSON schema and turns its data into Arrow, 40-150 ms of CPU per chart (the overview draws five),
behind a process-wide lock (``streamlit.elements.vega_charts._altair_globals_lock``), so concurrent
sessions queue on it. A ``ChartOf`` names the builder and its arguments instead; ``spec`` runs the builder
and Streamlit's own conversion once per distinct arguments (``st.cache_data`` keys by them, the data frames
included) and ``show`` draws the cached spec with ``st.vega_lite_chart``: the same spec and datasets
``st.altair_chart`` would have sent (bench/bench_load.py measured the CPU per rerun).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import streamlit as st
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

#: clickable charts render as SVG: every mark is an element with an aria-label (see ChartKit.show_chart)
SVG = {"embedOptions": {"renderer": "svg"}}


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _spec(func_path: str, args: tuple, usermeta: dict | None) -> dict:
    module, name = func_path.rsplit(".", 1)
    chart = getattr(importlib.import_module(module), name)(*args)
    if usermeta is not None:
        chart = chart.properties(usermeta=usermeta)
    return _convert_altair_to_vega_lite_spec(chart)


@dataclass(frozen=True)
class ChartOf:
    """A chart as its builder (a module-level function of ``cem_core.charts``) and the builder's arguments."""

    fn: Callable[..., alt.TopLevelMixin]
    args: tuple

    def build(self) -> alt.TopLevelMixin:
        """The Altair chart (image downloads render it; built only when asked)."""
        return self.fn(*self.args)

    def spec(self, usermeta: dict | None = None) -> dict:
        return _spec(f"{self.fn.__module__}.{self.fn.__qualname__}", self.args, usermeta)


def chart_of(fn: Callable[..., alt.TopLevelMixin], *args: object) -> ChartOf:
    return ChartOf(fn, args)


def show(chart: ChartOf, usermeta: dict | None = None, **kwargs: object):
    """``st.altair_chart(chart.build(), **kwargs)``, from the cached spec."""
    return st.vega_lite_chart(spec=chart.spec(usermeta), **kwargs)
