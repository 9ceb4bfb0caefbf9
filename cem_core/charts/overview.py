"""Charts of the executive overview: the NPS trend and NPS bars by stage or channel."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cem_core.charts.palette import NEGATIVE, POSITIVE
from cem_core.i18n import t


def nps_trend(df: pd.DataFrame, lang: str) -> alt.Chart:
    """Monthly NPS line with its 95% CI band; columns month, nps, low, high, n."""
    base = alt.Chart(df).encode(alt.X("month:T").title(t("chart.month", lang)).axis(format="%Y-%m"))
    band = base.mark_area(opacity=0.2, color="#1f77b4").encode(
        alt.Y("low:Q").title(t("chart.nps", lang)), alt.Y2("high:Q"))
    tooltip = [alt.Tooltip("month:T", title=t("chart.month", lang), format="%Y-%m"),
               alt.Tooltip("nps:Q", title="NPS", format=".1f"),
               alt.Tooltip("low:Q", title=t("chart.ci_low", lang), format=".1f"),
               alt.Tooltip("high:Q", title=t("chart.ci_high", lang), format=".1f"),
               alt.Tooltip("n:Q", title="n")]
    line = base.mark_line(point=True, color="#1f77b4").encode(alt.Y("nps:Q"), tooltip=tooltip)
    return (band + line).properties(height=280)


def nps_bars(df: pd.DataFrame, lang: str, category_title: str, sort: list[str] | None = None) -> alt.Chart:
    """Horizontal NPS bars with 95% CI whiskers; columns name, nps, low, high, n."""
    y = alt.Y("name:N").title(category_title).sort(sort if sort is not None else "-x").axis(labelOverlap=False)
    tooltip = [alt.Tooltip("name:N", title=category_title), alt.Tooltip("nps:Q", title="NPS", format=".1f"),
               alt.Tooltip("low:Q", title=t("chart.ci_low", lang), format=".1f"),
               alt.Tooltip("high:Q", title=t("chart.ci_high", lang), format=".1f"), alt.Tooltip("n:Q", title="n")]
    bars = alt.Chart(df).mark_bar().encode(
        alt.X("nps:Q").title(t("chart.nps", lang)), y,
        color=alt.condition(alt.datum.nps >= 0, alt.value(POSITIVE), alt.value(NEGATIVE)), tooltip=tooltip)
    whiskers = alt.Chart(df).mark_rule(color="#333").encode(alt.X("low:Q"), alt.X2("high:Q"), y)
    return (bars + whiskers).properties(height=max(120, 36 * len(df)))
