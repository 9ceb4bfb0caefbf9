"""Analysis: histograms, key drivers, heat matrix, trends, segments and spend; a click drills down.

Tabs run lazily (only the open tab queries). Every chart offers its data (csv/xlsx) and image (png/svg),
generated on click and audited; drill-down rows are masked unless the user may see personal data
(``cem_core.ui.chart_kit``).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cem_core.analyze import distributions, drivers, matrix, segments, spend, trends
from cem_core.analyze.dims import DIMENSIONS
from cem_core.analyze.drilldown import Drill
from cem_core.charts import analysis as charts
from cem_core.i18n import fmt_int, fmt_money, fmt_num, fmt_pct, t
from cem_core.ui import cache
from cem_core.ui.chart_kit import ChartKit, clear_drill
from cem_core.ui.context import T, lang, require
from cem_core.ui.filters import current_filters
from cem_core.ui.specs import chart_of

user = require("view_analysis")
L = lang()
f = current_filters()
engine = cache.engine()
kit = ChartKit(engine, user, f, L)
dim_name, downloads, show_chart = kit.dim_name, kit.downloads, kit.show_chart
TABS = ("dist", "drivers", "matrix", "trends", "segments", "spend")
DIMS = tuple(DIMENSIONS)
ANSWERED_NPS = ("nps", 0, 10)


# --- tabs --------------------------------------------------------------------------------------------------

def tab_distributions() -> None:
    left, right = st.columns([3, 1])
    measure = left.segmented_control(T("analysis.measure_pick"), ["nps", "csat", "ces", "ratings"],
                                     format_func=lambda m: t(f"analysis.measure.{m}", L), key="an_measure",
                                     default="nps") or "nps"
    if measure == "ratings":
        hist = cache.query(drivers.attribute_histogram, f, L)
        if hist.empty:
            st.info(T("analysis.no_rows"))
            return
        chart = chart_of(charts.rating_histograms, hist, L)
        show_chart("ratings", chart, lambda p: Drill(rating=(p["attribute_id"], p["score"], p["score"])))
        st.caption(T("analysis.read.ratings"))
        downloads("rating_histograms", hist, chart)
        return
    split = right.selectbox(T("analysis.split"), [None, *DIMS], key="an_split",
                            format_func=lambda d: t("analysis.split.none", L) if d is None else dim_name(d))
    cube = cache.query(distributions.score_cube, f, split, measure if split else None)
    hist = distributions.histogram(cube, measure, engine, split, L)
    if hist["n"].sum() == 0:
        st.info(T("analysis.no_rows"))
        return
    if split is None:
        s = distributions.histogram_summary(hist)
        st.caption(T("analysis.summary.nps" if measure == "nps" else "analysis.summary.other", n=fmt_int(s["n"], L),
                     pos=fmt_pct(s["positive"], L), neu=fmt_pct(s["neutral"], L), neg=fmt_pct(s["negative"], L)))
    chart = chart_of(charts.score_histogram, hist, measure, L, dim_name(split) if split else None)

    def to_drill(p: dict) -> Drill:
        dims = ((split, p.get("key")),) if split else ()
        return Drill(dims=dims, score=(measure, p["score"], p["score"]))

    show_chart(f"hist_{measure}", chart, to_drill)
    st.caption(T("analysis.read.hist"))
    downloads(f"histogram_{measure}", hist.drop(columns=[c for c in hist.columns if c.endswith("_order")]), chart)


def tab_drivers() -> None:
    c1, c2, c3 = st.columns(3)
    outcome = c1.selectbox(T("analysis.outcome"), drivers.OUTCOMES, key="an_outcome",
                           format_func=lambda o: t(f"analysis.measure.{o}", L))
    method = c2.selectbox(T("analysis.method"), drivers.METHODS, key="an_method",
                          format_func=lambda m: t(f"analysis.method.{m}", L))
    perf = c3.selectbox(T("analysis.performance"), drivers.PERFORMANCE, key="an_perf",
                        format_func=lambda p: t(f"analysis.performance.{p}", L))
    kd = cache.query(drivers.key_drivers, f, outcome, method, perf, L)
    if kd.r2 is None or kd.perf_line is None or kd.imp_line is None:
        st.info(T("analysis.drivers.none", n=drivers.MIN_N))
        return
    m1, m2 = st.columns(2)
    m1.metric(T("analysis.drivers.r2"), fmt_num(kd.r2, L, 2))
    m2.metric(T("analysis.drivers.n"), fmt_int(kd.n, L))
    perf_title = T(f"analysis.perf.{perf}")
    chart = chart_of(charts.driver_matrix, kd.table, kd.perf_line, kd.imp_line, L, perf_title)
    table = kd.table.assign(quadrant=kd.table["quadrant"].map(
        lambda q: T(f"analysis.quadrant.{q}") if isinstance(q, str) else "—"))
    view = table[["name", "importance", "performance", "quadrant", "r", "n", "low_n"]].rename(columns={
        "name": T("analysis.drivers.table_name"), "importance": T("analysis.drivers.table_importance"),
        "performance": T("analysis.drivers.table_performance"), "quadrant": T("analysis.drivers.table_quadrant"),
        "r": T("analysis.drivers.table_r"), "low_n": T("analysis.drivers.table_flag")})
    left, right = st.columns([3, 2])
    with left:
        show_chart("drivers", chart, lambda p: Drill(rating=(p["attribute_id"], 1, 2)))
    with right:
        number = st.column_config.NumberColumn
        st.dataframe(view, hide_index=True, width="stretch",
                     column_config={T("analysis.drivers.table_importance"): number(format="%.1f"),
                                    T("analysis.drivers.table_performance"): number(format="%.2f"),
                                    T("analysis.drivers.table_r"): number(format="%.2f")})
    low = kd.table.loc[kd.table["low_n"], "name"].tolist()
    if low:
        st.warning(T("analysis.drivers.low_n", names=", ".join(low)))
    st.caption(T("analysis.read.drivers"))
    downloads("key_drivers", view, chart)


def tab_matrix() -> None:
    c1, c2, c3 = st.columns(3)
    rows = c1.selectbox(T("analysis.rows"), DIMS, index=DIMS.index("stage"), key="an_rows", format_func=dim_name)
    cols = c2.selectbox(T("analysis.cols"), DIMS, index=DIMS.index("channel"), key="an_cols", format_func=dim_name)
    min_n = int(c3.number_input(T("analysis.min_n"), min_value=1, value=matrix.MIN_N, step=10, key="an_matrix_min"))
    if rows == cols:
        st.warning(T("analysis.same_dims"))
        return
    grid = cache.query(matrix.heat_matrix, f, rows, cols, L, min_n)
    if grid.empty:
        st.info(T("analysis.no_rows"))
        return
    chart = chart_of(charts.heat_matrix, grid, L, dim_name(rows), dim_name(cols))
    # the cell's n counts NPS answers: the drill-down lists the same responses
    show_chart("matrix", chart, lambda p: Drill(dims=((rows, p.get("row_key")), (cols, p.get("col_key"))),
                                                score=ANSWERED_NPS))
    st.caption(T("analysis.read.matrix"))
    downloads(f"matrix_{rows}_{cols}", grid[["row", "col", "nps", "low", "high", "n", "low_n"]], chart)


def tab_trends() -> None:
    c1, c2 = st.columns(2)
    measure = c1.segmented_control(T("analysis.measure_pick"), list(trends.MEASURES), key="an_trend_measure",
                                   format_func=lambda m: t(f"analysis.measure.{m}", L), default="nps") or "nps"
    grain = c2.segmented_control(T("analysis.grain"), list(trends.GRAINS), key="an_grain", default="month",
                                 format_func=lambda g: t(f"analysis.grain.{g}", L)) or "month"
    days = cache.query(trends.daily, f)
    tr = trends.trend(trends.bucket(days, grain), measure)
    if tr.empty:
        st.info(T("analysis.no_rows"))
        return
    chart = chart_of(charts.trend_chart, tr, measure, L)

    def to_drill(p: dict) -> Drill:
        start = dt.date.fromisoformat(str(p["period_key"]))
        return Drill(dates=(start, trends.period_end(start, grain)))

    show_chart(f"trend_{measure}", chart, to_drill)
    st.caption(T("analysis.trend.significant", k=int(tr["significant"].sum())))
    st.caption(T("analysis.read.trend"))
    downloads(f"trend_{measure}_{grain}", tr, chart)


def tab_segments() -> None:
    c1, c2 = st.columns(2)
    options = ("region", "product", "segment", "channel", "stage", "touchpoint")
    dim = c1.selectbox(T("analysis.split"), options, key="an_seg_dim", format_func=dim_name)
    min_n = int(c2.number_input(T("analysis.min_n"), min_value=1, value=matrix.MIN_N, step=10, key="an_seg_min"))
    seg = cache.query(segments.segments, f, dim, L, min_n)
    if seg.empty:
        st.info(T("analysis.no_rows"))
        return
    chart = chart_of(charts.segment_bars, seg, L, dim_name(dim))
    show_chart("segments", chart, lambda p: Drill(dims=((dim, p.get("key")),), score=ANSWERED_NPS))
    st.caption(T("analysis.read.segments"))
    downloads(f"segments_{dim}", seg[["name", "nps", "low", "high", "n", "low_n"]], chart)


def tab_spend() -> None:
    summary = spend.spend_summary(cache.query(distributions.score_cube, f, None))
    if summary.by_group["responses"].sum() == 0:
        st.info(T("analysis.no_rows"))
        return
    m1, m2 = st.columns(2)
    m1.metric(T("analysis.spend.at_risk"), fmt_money(summary.at_risk, L))
    m1.caption(T("analysis.spend.at_risk_share", share=fmt_pct(summary.at_risk_share, L)))
    m2.metric(T("analysis.spend.ratio"), "–" if summary.promoter_vs_detractor is None
              else f"{summary.promoter_vs_detractor:.2f}×")
    ranges = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
    left, right = st.columns(2)
    with left:
        st.subheader(T("analysis.spend.groups"))
        chart = chart_of(charts.spend_groups, summary.by_group, L)
        show_chart("spend_groups", chart, lambda p: Drill(score=("nps", *ranges[p["group"]])))
        st.caption(T("analysis.read.spend_groups"))
        downloads("spend_by_group", summary.by_group, chart)
    with right:
        st.subheader(T("analysis.spend.by_score"))
        chart2 = chart_of(charts.spend_by_score, summary.by_score, L)
        show_chart("spend_score", chart2, lambda p: Drill(score=("nps", p["score"], p["score"])))
        st.caption(T("analysis.read.spend_score"))
        downloads("spend_by_score", summary.by_score, chart2)


st.title(T("analysis.title"))
tabs = st.tabs([T(f"analysis.tab.{k}") for k in TABS], key="an_tab", on_change=clear_drill)
RENDER = {"dist": tab_distributions, "drivers": tab_drivers, "matrix": tab_matrix, "trends": tab_trends,
          "segments": tab_segments, "spend": tab_spend}
for key, tab in zip(TABS, tabs, strict=True):
    if tab.open:
        with tab:
            RENDER[key]()
            kit.drill_panel()
