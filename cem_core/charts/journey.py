"""Altair builders for the journey page: the touchpoint map, the emotion curve, the peak-end comparison,
where journeys peak and end, recovery, and one customer's journeys. Each takes the small frame
``cem_core.journey`` returns; the map carries one point selection (``PICK``) over ``touchpoint_id`` so a
click opens that touchpoint's responses."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cem_core.charts.analysis import PICK
from cem_core.charts.palette import NEGATIVE, NEUTRAL, POSITIVE
from cem_core.i18n import t

#: Colour domain of the map per measure: NPS -50..50, CSAT (top-2-box %) 50..100; values beyond clamp.
MAP_DOMAIN = {"nps": [-50, 0, 50], "csat": [50, 75, 100]}
MAP_COLOURS = [NEGATIVE, "#fdd835", POSITIVE]
CELL_W, CELL_H = 150, 64


def _measure_title(measure: str, lang: str) -> str:
    return t(f"journey.measure.{measure}", lang)


def journey_map(frame: pd.DataFrame, measure: str, lang: str) -> alt.LayerChart:
    """Stages left to right, touchpoints under each; cells coloured by score (grey: no answers), dashed
    outline and "n<30" when the score rests on few answers."""
    data = frame.copy()
    data["stage_label"] = [f"{o + 1}. {s}" for o, s in zip(data["stage_order"], data["stage"], strict=True)]
    none = t("journey.map.no_touchpoint", lang)
    data["tp_label"] = data["touchpoint"].fillna(none).astype(str)
    data["score_text"] = [
        "–" if pd.isna(s) else (f"{s:+.0f}" if measure == "nps" else f"{s:.0f}%") for s in data["score"]]
    data["n_text"] = [f"n={int(n):,}" + (" ⚠" if low else "") for n, low in zip(data["n"], data["low_n"], strict=True)]
    data["neg_text"] = ["–" if pd.isna(v) else f"{v:.0f}%" for v in data["neg_share"]]
    data["topic_text"] = data["top_topic"].fillna("–").astype(str)
    data["low_text"] = [t("journey.map.low_n_yes", lang) if v else "" for v in data["low_n"]]
    data["has_score"] = data["score"].notna()
    # Vega-Lite drops marks whose continuous field is null: colour a filled copy, greyed by ``has_score``.
    data["score_fill"] = data["score"].fillna(MAP_DOMAIN[measure][1])
    stages = data.drop_duplicates("stage_id").sort_values("stage_order")["stage_label"].tolist()
    sel = alt.selection_point(name=PICK, fields=["touchpoint_id"], on="click", clear="dblclick")
    x = alt.X("stage_label:N").sort(stages).title(None).axis(orient="top", labelAngle=0, labelLimit=CELL_W - 6)
    y = alt.Y("tp_order:O").title(None).axis(None).scale(paddingInner=0.12)
    tooltip = [alt.Tooltip("stage:N", title=t("journey.col.stage", lang)),
               alt.Tooltip("tp_label:N", title=t("journey.col.touchpoint", lang)),
               alt.Tooltip("department:N", title=t("journey.col.department", lang)),
               alt.Tooltip("score_text:N", title=_measure_title(measure, lang)),
               alt.Tooltip("n:Q", title="n", format=","),
               alt.Tooltip("responses:Q", title=t("journey.col.volume", lang), format=","),
               alt.Tooltip("neg_text:N", title=t("journey.col.neg_share", lang)),
               alt.Tooltip("topic_text:N", title=t("journey.col.top_topic", lang)),
               alt.Tooltip("low_text:N", title=t("journey.col.low_n", lang))]
    colour = alt.Color("score_fill:Q").title(_measure_title(measure, lang)).scale(
        domain=MAP_DOMAIN[measure], range=MAP_COLOURS, clamp=True).legend(orient="bottom", gradientLength=240)
    base = alt.Chart(data).encode(x, y, tooltip=tooltip)
    cells = base.mark_rect(cornerRadius=6, stroke="#424242").encode(
        color=alt.condition("datum.has_score", colour, alt.value(NEUTRAL)),
        strokeDash=alt.condition("datum.low_n", alt.value([4, 3]), alt.value([1, 0])),
        strokeWidth=alt.condition(sel, alt.value(2.5), alt.value(0.5)),
        opacity=alt.condition("datum.low_n", alt.value(0.55), alt.value(1.0)),
    ).add_params(sel)
    name = base.mark_text(dy=-16, fontSize=11, fontWeight="bold", limit=CELL_W - 10).encode(text="tp_label:N")
    score = base.mark_text(dy=2, fontSize=13).encode(text="score_text:N")
    n = base.mark_text(dy=18, fontSize=10, color="#212121").encode(text="n_text:N")
    return alt.layer(cells, name, score, n).properties(width=alt.Step(CELL_W), height=alt.Step(CELL_H))


def emotion_curve(curve: pd.DataFrame, measure: str, lang: str) -> alt.LayerChart:
    """Mean score per step with its 95 % band; the lowest points ringed in red and labelled. With a
    ``series`` column (two selections) each gets its own colour."""
    data = curve.dropna(subset=["mean"]).copy()
    labels = curve.drop_duplicates("step").sort_values("step")
    dupes = labels["label"].duplicated(keep=False)
    names = {s: (f"{lab} ({st})" if d else str(lab)) for s, lab, st, d in
             zip(labels["step"], labels["label"], labels["stage"], dupes, strict=True)}
    data["xlabel"] = data["step"].map(names)
    order = [names[s] for s in labels["step"]]
    series = "series" in data.columns
    x = alt.X("xlabel:N").sort(order).title(None).axis(labelAngle=-35, labelLimit=140)
    y_title = t(f"journey.curve.mean.{measure}", lang)
    enc = {"color": alt.Color("series:N").title(None).legend(orient="top")} if series else {}
    tooltip = [alt.Tooltip("xlabel:N", title=t("journey.col.touchpoint", lang)),
               alt.Tooltip("mean:Q", title=y_title, format=".2f"),
               alt.Tooltip("lo:Q", title=t("journey.curve.lo", lang), format=".2f"),
               alt.Tooltip("hi:Q", title=t("journey.curve.hi", lang), format=".2f"),
               alt.Tooltip("n:Q", title="n", format=",")]
    if series:
        tooltip.insert(0, alt.Tooltip("series:N", title=t("journey.curve.series", lang)))
    base = alt.Chart(data).encode(x, **enc)
    band = base.mark_area(opacity=0.2).encode(alt.Y("lo:Q").title(y_title).scale(zero=False), alt.Y2("hi:Q"))
    line = base.mark_line(point=True).encode(alt.Y("mean:Q").title(y_title), tooltip=tooltip)
    if not series:
        band = band.encode(color=alt.value("#1565c0"))
        line = line.encode(color=alt.value("#1565c0"))
    low = base.transform_filter("datum.lowest").mark_point(size=260, color=NEGATIVE, strokeWidth=2.5).encode(
        alt.Y("mean:Q"), tooltip=tooltip)
    low_text = base.transform_filter("datum.lowest").mark_text(dy=22, color=NEGATIVE, fontWeight="bold").encode(
        alt.Y("mean:Q"), text=alt.value(t("journey.curve.lowest", lang)))
    return alt.layer(band, line, low, low_text).properties(height=340)


def predictor_bars(table: pd.DataFrame, lang: str) -> alt.LayerChart:
    """r of each journey figure with the overall rating, with its 95 % interval; the winner in colour."""
    data = table.dropna(subset=["r"]).copy()
    data["label"] = [t(f"journey.pe.{p}", lang) for p in data["predictor"]]
    order = data["label"].tolist()
    y = alt.Y("label:N").sort(order).title(None)
    tooltip = [alt.Tooltip("label:N", title=t("journey.pe.figure", lang)),
               alt.Tooltip("r:Q", format=".3f"), alt.Tooltip("lo:Q", title="95% CI –", format=".3f"),
               alt.Tooltip("hi:Q", title="95% CI +", format=".3f"), alt.Tooltip("n:Q", title="n", format=",")]
    bars = alt.Chart(data).mark_bar().encode(
        alt.X("r:Q").title(t("journey.pe.r_axis", lang)).scale(domain=[0, 1]), y,
        color=alt.condition("datum.winner", alt.value(POSITIVE), alt.value("#90a4ae")), tooltip=tooltip)
    rules = alt.Chart(data).mark_rule(strokeWidth=2).encode(alt.X("lo:Q"), alt.X2("hi:Q"), y)
    return alt.layer(bars, rules).properties(height=200)


def touchpoint_bars(table: pd.DataFrame, value: str, title: str, lang: str, colour: str = NEGATIVE) -> alt.Chart:
    """Horizontal bars of ``value`` per touchpoint (e.g. the negative-peak rate), faded when low-n."""
    data = table.copy()
    order = data["name"].tolist()
    return alt.Chart(data).mark_bar(color=colour).encode(
        alt.X(f"{value}:Q").title(title), alt.Y("name:N").sort(order).title(None),
        opacity=alt.condition("datum.low_n", alt.value(0.4), alt.value(1.0)),
        tooltip=[alt.Tooltip("name:N", title=t("journey.col.touchpoint", lang)),
                 alt.Tooltip(f"{value}:Q", title=title, format=".1f"),
                 alt.Tooltip("journeys:Q", title=t("journey.pe.journeys", lang), format=","),
                 alt.Tooltip("overall:Q", title=t("journey.pe.overall_then", lang), format=".2f")],
    ).properties(height=max(120, 24 * len(data)))


def recovery_bars(table: pd.DataFrame, lang: str) -> alt.Chart:
    """Mean overall rating of each recovery class, with the number of journeys."""
    data = table.dropna(subset=["overall"]).copy()
    data["label"] = [t(f"journey.rec.{k}", lang) for k in data["kind"]]
    colours = {"recovered": POSITIVE, "ended_badly": NEGATIVE, "low_unresolved": "#f9a825", "no_low": "#90a4ae"}
    return alt.Chart(data).mark_bar().encode(
        alt.X("overall:Q").title(t("journey.pe.overall_axis", lang)).scale(domain=[0, 10]),
        alt.Y("label:N").sort(data["label"].tolist()).title(None),
        alt.Color("kind:N").scale(domain=list(colours), range=list(colours.values())).legend(None),
        tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("overall:Q", format=".2f"),
                 alt.Tooltip("journeys:Q", title=t("journey.pe.journeys", lang), format=",")],
    ).properties(height=160)


def customer_journeys(timeline: pd.DataFrame, measure: str, lang: str) -> alt.Chart:
    """One line per journey of a customer: the score at each step (journeys numbered in time order)."""
    data = timeline.dropna(subset=["journey_key", measure]).copy()
    first = data.groupby("journey_key")["occurred_at"].min().sort_values()
    number = {k: i + 1 for i, k in enumerate(first.index)}
    data["journey"] = [t("journey.story.journey_n", lang, n=number[k]) for k in data["journey_key"]]
    data["where"] = data["touchpoint"].fillna(data["stage"]).fillna("–").astype(str)
    return alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=80)).encode(
        alt.X("journey_step:O").title(t("journey.story.step", lang)),
        alt.Y(f"{measure}:Q").title(_measure_title(measure, lang)).scale(zero=False),
        alt.Color("journey:N").title(None).legend(orient="top"),
        tooltip=[alt.Tooltip("journey:N", title=""), alt.Tooltip("where:N", title=t("journey.col.touchpoint", lang)),
                 alt.Tooltip(f"{measure}:Q", title=_measure_title(measure, lang))],
    ).properties(height=260)
