"""Altair builders of the Text page (no streamlit): term bars, topic x sentiment, NPS impact with CI,
topic trends and topic heat maps by stage or channel. Inputs are the small aggregates of
``cem_core.text.report``; labels come in already translated."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cem_core.charts.palette import NEGATIVE, NEUTRAL, POSITIVE
from cem_core.i18n import t

SENT_SCALE = alt.Scale(domain=["positive", "neutral", "negative"], range=[POSITIVE, NEUTRAL, NEGATIVE])


def _sent_legend(lang: str) -> str:
    return t("text.sentiment", lang)


def term_bars(terms: pd.DataFrame, lang: str, top: int = 25) -> alt.Chart:
    """Ranked terms, coloured by the average sentiment of the comments they appear in."""
    data = terms.head(top).assign(label=lambda d: d["sentiment"].map(lambda s: t(f"text.sent.{s}", lang)))
    return alt.Chart(data).mark_bar().encode(
        alt.X("count:Q").title(t("text.col.count", lang)),
        alt.Y("term:N").sort("-x").title(None),
        alt.Color("sentiment:N").scale(SENT_SCALE).title(_sent_legend(lang)),
        tooltip=[alt.Tooltip("term:N"), alt.Tooltip("count:Q"), alt.Tooltip("avg_score:Q", format=".2f"),
                 alt.Tooltip("label:N", title=_sent_legend(lang))],
    ).properties(height=max(200, 18 * len(data)))


def topic_sentiment(table: pd.DataFrame, lang: str) -> alt.Chart:
    """Topic x sentiment: stacked mention counts per topic (largest first), net sentiment in the tooltip."""
    long = table.melt(id_vars=["topic", "name", "n", "net_sentiment"], value_vars=["positive", "neutral", "negative"],
                      var_name="sentiment", value_name="count")
    long["label"] = long["sentiment"].map(lambda s: t(f"text.sent.{s}", lang))
    order = table.sort_values("n", ascending=False)["name"].tolist()
    return alt.Chart(long).mark_bar().encode(
        alt.X("count:Q").stack("zero").title(t("text.col.mentions", lang)),
        alt.Y("name:N").sort(order).title(None),
        alt.Color("sentiment:N").scale(SENT_SCALE).title(_sent_legend(lang)),
        alt.Order("sentiment:N"),
        tooltip=[alt.Tooltip("name:N", title=t("text.col.topic", lang)),
                 alt.Tooltip("label:N", title=_sent_legend(lang)),
                 alt.Tooltip("count:Q"), alt.Tooltip("n:Q", title=t("text.col.mentions", lang)),
                 alt.Tooltip("net_sentiment:Q", title=t("text.col.net", lang), format=".1f")],
    ).properties(height=max(200, 22 * len(order)))


def nps_impact(table: pd.DataFrame, lang: str) -> alt.Chart:
    """Each topic's NPS impact (points) with its 95 % CI: bars left of zero cost NPS."""
    data = table.dropna(subset=["nps_impact"]).assign(
        side=lambda d: d["nps_impact"].map(lambda v: "negative" if v < 0 else "positive"))
    order = data.sort_values("nps_impact")["name"].tolist()
    base = alt.Chart(data).encode(alt.Y("name:N").sort(order).title(None))
    bars = base.mark_bar().encode(
        alt.X("nps_impact:Q").title(t("text.col.impact", lang)),
        alt.Color("side:N").scale(alt.Scale(domain=["positive", "negative"], range=[POSITIVE, NEGATIVE])).legend(None),
        tooltip=[alt.Tooltip("name:N", title=t("text.col.topic", lang)),
                 alt.Tooltip("nps_impact:Q", title=t("text.col.impact", lang), format=".2f"),
                 alt.Tooltip("ci_low:Q", format=".2f"), alt.Tooltip("ci_high:Q", format=".2f"),
                 alt.Tooltip("nps_with:Q", title=t("text.col.nps_with", lang), format=".1f"),
                 alt.Tooltip("nps_without:Q", title=t("text.col.nps_without", lang), format=".1f"),
                 alt.Tooltip("nps_n:Q", title="n")])
    whiskers = base.mark_rule(color="#333").encode(alt.X("ci_low:Q"), alt.X2("ci_high:Q"))
    return (bars + whiskers).properties(height=max(200, 22 * len(order)))


def topic_trend(trend: pd.DataFrame, lang: str) -> alt.Chart:
    """Monthly mentions per topic (lines) with the negative share in the tooltip."""
    return alt.Chart(trend).mark_line(point=True).encode(
        alt.X("month:T").title(t("text.col.month", lang)),
        alt.Y("n:Q").title(t("text.col.mentions", lang)),
        alt.Color("name:N").title(t("text.col.topic", lang)),
        tooltip=[alt.Tooltip("month:T", format="%Y-%m"), alt.Tooltip("name:N", title=t("text.col.topic", lang)),
                 alt.Tooltip("n:Q"), alt.Tooltip("negative:Q"),
                 alt.Tooltip("negative_share:Q", title=t("text.col.negative_share", lang), format=".0%")],
    ).properties(height=320)


def topic_heatmap(by: pd.DataFrame, dim: str, dim_title: str, lang: str) -> alt.Chart:
    """Topics x stages (or channels): cell = negative mentions, darker = more."""
    return alt.Chart(by).mark_rect().encode(
        alt.X("dim_name:N").sort(alt.EncodingSortField(dim, order="ascending")).title(dim_title),
        alt.Y("name:N").title(None),
        alt.Color("n:Q").scale(scheme="reds").title(t("text.col.negative_mentions", lang)),
        tooltip=[alt.Tooltip("dim_name:N", title=dim_title), alt.Tooltip("name:N", title=t("text.col.topic", lang)),
                 alt.Tooltip("n:Q", title=t("text.col.negative_mentions", lang)),
                 alt.Tooltip("share:Q", title=t("text.col.share", lang), format=".1%")],
    ).properties(height=max(200, 20 * by["name"].nunique()))
