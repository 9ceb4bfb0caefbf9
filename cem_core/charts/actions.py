"""Altair charts of the close-the-loop figures (small aggregated frames only)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cem_core.i18n import t


def weekly_chart(trend: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Items opened per week (bars) and the share of them resolved (line, right axis)."""
    base = alt.Chart(trend).encode(alt.X("week:T").title(t("act.fig.week", lang)).axis(format="%m-%d"))
    bars = base.mark_bar(opacity=0.6, color="#1f77b4").encode(
        alt.Y("opened:Q").title(t("act.fig.opened", lang)),
        tooltip=[alt.Tooltip("week:T", title=t("act.fig.week", lang), format="%Y-%m-%d"),
                 alt.Tooltip("opened:Q", title=t("act.fig.opened", lang)),
                 alt.Tooltip("done:Q", title=t("act.fig.done", lang)),
                 alt.Tooltip("breached:Q", title=t("act.fig.breached", lang)),
                 alt.Tooltip("closure_rate:Q", title=t("act.fig.closure_rate", lang), format=".1f")])
    line = base.mark_line(point=True, color="#2e7d32").encode(
        alt.Y("closure_rate:Q").title(t("act.fig.closure_rate", lang)).scale(domain=[0, 100]))
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)
