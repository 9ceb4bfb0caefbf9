"""Altair builders for the analysis page. They take the small frames ``cem_core.analyze`` returns and
carry the keys a click needs: each chart has one point selection named ``PICK`` over key fields, which
``st.altair_chart(..., on_select="rerun")`` reports back to drive the drill-down."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cem_core.charts.palette import NEGATIVE, NEUTRAL, POSITIVE
from cem_core.i18n import t

PICK = "pick"
GREY = "#d9d9d9"
BANDS = ("positive", "neutral", "negative")
BAND_COLOURS = [POSITIVE, "#f9a825", NEGATIVE]


def _pick(*fields: str) -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=list(fields), on="click", clear="dblclick")


def band_labels(measure: str, lang: str) -> dict[str, str]:
    """Legend words of the positive / neutral / negative bands of a measure."""
    return {b: t(f"analysis.band.{measure}.{b}", lang) for b in BANDS}


def score_histogram(hist: pd.DataFrame, measure: str, lang: str, split_title: str | None = None) -> alt.Chart:
    """Bars of the share of answers per score, coloured by band; faceted by the split when given."""
    labels = band_labels(measure, lang)
    data = hist.assign(band_label=hist["band"].map(labels))
    split = "key" in data.columns
    fields = ("score", "key") if split else ("score",)
    sel = _pick(*fields)
    tooltip = [alt.Tooltip("score:O", title=t("analysis.axis.score", lang)),
               alt.Tooltip("share:Q", title=t("analysis.axis.share", lang), format=".1f"),
               alt.Tooltip("n:Q", title="n", format=",")]
    if split:
        tooltip.insert(0, alt.Tooltip("name:N", title=split_title or ""))
    base = alt.Chart(data).mark_bar().encode(
        alt.X("score:O").title(t(f"analysis.measure.{measure}", lang)).axis(labelAngle=0),
        alt.Y("share:Q").title(t("analysis.axis.share", lang)),
        alt.Color("band_label:N").title(None).scale(domain=[labels[b] for b in BANDS], range=BAND_COLOURS),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.45)), tooltip=tooltip,
    ).add_params(sel)
    if split:
        order = data.drop_duplicates("name")["name"].tolist()
        return base.properties(width=220, height=160).facet(
            facet=alt.Facet("name:N").title(split_title).sort(order), columns=3)
    return base.properties(height=300)


def rating_histograms(hist: pd.DataFrame, lang: str) -> alt.Chart:
    """One small histogram (1-5) per attribute."""
    labels = band_labels("rating", lang)
    data = hist.assign(band_label=hist["band"].map(labels))
    sel = _pick("attribute_id", "score")
    order = data.drop_duplicates("attribute_id")["name"].tolist()
    return alt.Chart(data).mark_bar().encode(
        alt.X("score:O").title(t("analysis.axis.rating", lang)).axis(labelAngle=0),
        alt.Y("share:Q").title(t("analysis.axis.share", lang)),
        alt.Color("band_label:N").title(None).scale(domain=[labels[b] for b in BANDS], range=BAND_COLOURS),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("name:N", title=t("analysis.axis.driver", lang)),
                 alt.Tooltip("score:O", title=t("analysis.axis.rating", lang)),
                 alt.Tooltip("share:Q", title=t("analysis.axis.share", lang), format=".1f"),
                 alt.Tooltip("n:Q", title="n", format=",")],
    ).add_params(sel).properties(width=200, height=150).facet(
        facet=alt.Facet("name:N").title(None).sort(order), columns=3)


def driver_matrix(table: pd.DataFrame, perf_line: float, imp_line: float, lang: str, perf_title: str) -> alt.Chart:
    """Importance (y) against performance (x), quadrant lines at the means, points coloured by quadrant."""
    data = table.dropna(subset=["importance", "performance"]).copy()
    quadrants = ("concentrate", "keep_up", "low_priority", "overkill")
    names = {q: t(f"analysis.quadrant.{q}", lang) for q in quadrants}
    data["quadrant_label"] = data["quadrant"].map(names)
    sel = _pick("attribute_id")
    x = alt.X("performance:Q").title(perf_title).scale(zero=False, padding=30)
    y = alt.Y("importance:Q").title(t("analysis.axis.importance", lang)).scale(zero=False, padding=30)
    points = alt.Chart(data).mark_circle(size=260).encode(
        x, y, alt.Color("quadrant_label:N").title(None).scale(
            domain=[names[q] for q in quadrants], range=[NEGATIVE, POSITIVE, NEUTRAL, "#1f77b4"]),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("name:N", title=t("analysis.axis.driver", lang)),
                 alt.Tooltip("importance:Q", title=t("analysis.axis.importance", lang), format=".1f"),
                 alt.Tooltip("performance:Q", title=perf_title, format=".2f"),
                 alt.Tooltip("quadrant_label:N", title=t("analysis.axis.quadrant", lang)),
                 alt.Tooltip("n:Q", title="n", format=",")],
    ).add_params(sel)
    labels = alt.Chart(data).mark_text(align="left", dx=12, fontSize=12).encode(x, y, text="name:N")
    vline = alt.Chart(pd.DataFrame({"v": [perf_line]})).mark_rule(strokeDash=[4, 4], color="#666").encode(x="v:Q")
    hline = alt.Chart(pd.DataFrame({"v": [imp_line]})).mark_rule(strokeDash=[4, 4], color="#666").encode(y="v:Q")
    return (points + labels + vline + hline).properties(height=380)


def heat_matrix(grid: pd.DataFrame, lang: str, row_title: str, col_title: str) -> alt.Chart:
    """Cells coloured by NPS (red -100 .. green +100) with NPS and n written in; low-n cells grey."""
    data = grid.assign(label=[f"{v:+.0f}\n(n={n:,})" if pd.notna(v) else "" for v, n in zip(grid["nps"], grid["n"],
                                                                                             strict=True)])
    sel = _pick("row_key", "col_key")
    rows = data.drop_duplicates("row").sort_values("row_order")["row"].tolist()
    cols = data.drop_duplicates("col").sort_values("col_order")["col"].tolist()
    x = alt.X("col:N").title(col_title).sort(cols).axis(labelAngle=-30, labelLimit=160)
    y = alt.Y("row:N").title(row_title).sort(rows).axis(labelLimit=160)
    tooltip = [alt.Tooltip("row:N", title=row_title), alt.Tooltip("col:N", title=col_title),
               alt.Tooltip("nps:Q", title="NPS", format=".1f"),
               alt.Tooltip("low:Q", title=t("chart.ci_low", lang), format=".1f"),
               alt.Tooltip("high:Q", title=t("chart.ci_high", lang), format=".1f"),
               alt.Tooltip("n:Q", title="n", format=",")]
    cells = alt.Chart(data).mark_rect(stroke="#333").encode(
        x, y, color=alt.condition("datum.low_n", alt.value(GREY),
                                  alt.Color("nps:Q").title("NPS").scale(scheme="redyellowgreen", domain=[-100, 100])),
        strokeWidth=alt.condition(sel, alt.value(2.5), alt.value(0)), tooltip=tooltip,
    ).add_params(sel)
    text = alt.Chart(data).mark_text(fontSize=11, lineBreak="\n").encode(x, y, text="label:N", tooltip=tooltip)
    return (cells + text).properties(height=max(200, 60 * len(rows)))


def trend_chart(trend: pd.DataFrame, measure: str, lang: str, month_axis: bool = False) -> alt.Chart:
    """The measure per period with its 95% CI band; significant rises and falls marked with triangles.
    ``month_axis``: monthly periods labelled 2026-03 (the overview, the report) instead of the time axis's
    own English month names."""
    data = trend.assign(period_key=trend["period"].dt.strftime("%Y-%m-%d"))
    data["mark"] = data["direction"].map({1: t("analysis.trend.up", lang), -1: t("analysis.trend.down", lang)})
    sel = _pick("period_key")
    title = t(f"analysis.measure.{measure}", lang)
    x = alt.X("period:T").title(t("analysis.axis.period", lang))
    if month_axis:
        x = x.axis(format="%Y-%m")
    tooltip = [alt.Tooltip("period_key:N", title=t("analysis.axis.period", lang)),
               alt.Tooltip("value:Q", title=title, format=".2f" if measure == "ces" else ".1f"),
               alt.Tooltip("low:Q", title=t("chart.ci_low", lang), format=".2f"),
               alt.Tooltip("high:Q", title=t("chart.ci_high", lang), format=".2f"),
               alt.Tooltip("n:Q", title="n", format=","),
               alt.Tooltip("change:Q", title=t("analysis.axis.change", lang), format="+.2f")]
    band = alt.Chart(data).mark_area(opacity=0.2, color="#1f77b4").encode(x, alt.Y("low:Q").title(title),
                                                                            alt.Y2("high:Q"))
    line = alt.Chart(data).mark_line(color="#1f77b4").encode(x, alt.Y("value:Q").scale(zero=False))
    points = alt.Chart(data).mark_point(filled=True, size=50, color="#1f77b4").encode(
        x, alt.Y("value:Q"), tooltip=tooltip, opacity=alt.condition(sel, alt.value(1.0), alt.value(0.6)),
    ).add_params(sel)
    marks = alt.Chart(data[data["direction"] != 0]).mark_point(filled=True, size=160).encode(
        x, alt.Y("value:Q"), tooltip=tooltip,
        shape=alt.Shape("mark:N").title(None).scale(
            domain=[t("analysis.trend.up", lang), t("analysis.trend.down", lang)],
            range=["triangle-up", "triangle-down"]),
        color=alt.Color("mark:N").title(None).scale(
            domain=[t("analysis.trend.up", lang), t("analysis.trend.down", lang)], range=[POSITIVE, NEGATIVE]))
    return (band + line + points + marks).properties(height=320)


def segment_bars(seg: pd.DataFrame, lang: str, title: str) -> alt.Chart:
    """Horizontal NPS bars with CI whiskers, best first; segments under the minimum n in grey."""
    sel = _pick("key")
    order = seg["name"].tolist()
    y = alt.Y("name:N").title(title).sort(order).axis(labelLimit=180)
    tooltip = [alt.Tooltip("name:N", title=title), alt.Tooltip("nps:Q", title="NPS", format=".1f"),
               alt.Tooltip("low:Q", title=t("chart.ci_low", lang), format=".1f"),
               alt.Tooltip("high:Q", title=t("chart.ci_high", lang), format=".1f"),
               alt.Tooltip("n:Q", title="n", format=",")]
    seg = seg.assign(tone=["low_n" if low else "up" if v >= 0 else "down" for low, v in zip(seg["low_n"], seg["nps"],
                                                                                           strict=True)])
    bars = alt.Chart(seg).mark_bar().encode(
        alt.X("nps:Q").title(t("chart.nps", lang)), y,
        color=alt.Color("tone:N").legend(None).scale(domain=["up", "down", "low_n"], range=[POSITIVE, NEGATIVE, GREY]),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.6)), tooltip=tooltip,
    ).add_params(sel)
    whiskers = alt.Chart(seg).mark_rule(color="#333").encode(alt.X("low:Q"), alt.X2("high:Q"), y)
    return (bars + whiskers).properties(height=max(140, 30 * len(seg)))


def spend_groups(by_group: pd.DataFrame, lang: str) -> alt.Chart:
    """Total spend of promoters, passives and detractors, with their share and mean spend in the tooltip."""
    names = {g: t(f"analysis.group.{g}", lang) for g in ("promoter", "passive", "detractor")}
    data = by_group.assign(name=by_group["group"].map(names))
    sel = _pick("group")
    return alt.Chart(data).mark_bar().encode(
        alt.X("name:N").title(None).sort([names[g] for g in ("promoter", "passive", "detractor")]).axis(labelAngle=0),
        alt.Y("spend:Q").title(t("analysis.axis.spend", lang)),
        alt.Color("name:N").legend(None).scale(domain=list(names.values()), range=BAND_COLOURS),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.6)),
        tooltip=[alt.Tooltip("name:N", title=t("analysis.axis.group", lang)),
                 alt.Tooltip("spend:Q", title=t("analysis.axis.spend", lang), format=",.0f"),
                 alt.Tooltip("spend_share:Q", title=t("analysis.axis.spend_share", lang), format=".1f"),
                 alt.Tooltip("mean_spend:Q", title=t("analysis.axis.mean_spend", lang), format=",.0f"),
                 alt.Tooltip("spend_n:Q", title="n", format=",")],
    ).add_params(sel).properties(height=280)


def spend_by_score(by_score: pd.DataFrame, lang: str) -> alt.Chart:
    """Mean spend per NPS score 0-10: how spend moves with the likelihood to recommend."""
    names = {g: t(f"analysis.group.{g}", lang) for g in ("promoter", "passive", "detractor")}
    data = by_score.assign(name=by_score["group"].map(names))
    sel = _pick("score")
    return alt.Chart(data).mark_bar().encode(
        alt.X("score:O").title(t("analysis.measure.nps", lang)).axis(labelAngle=0),
        alt.Y("mean_spend:Q").title(t("analysis.axis.mean_spend", lang)),
        alt.Color("name:N").title(None).scale(domain=list(names.values()), range=BAND_COLOURS),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.6)),
        tooltip=[alt.Tooltip("score:O", title="NPS"),
                 alt.Tooltip("mean_spend:Q", title=t("analysis.axis.mean_spend", lang), format=",.0f"),
                 alt.Tooltip("spend_n:Q", title="n", format=",")],
    ).add_params(sel).properties(height=280)
