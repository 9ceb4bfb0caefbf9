"""Executive overview: KPI cards against the previous period, NPS, CSAT and CES trends, NPS by stage and channel."""

import streamlit as st

from cem_core.analyze.overview import build_overview, ces_ci, csat_ci
from cem_core.analyze.queries import previous_period
from cem_core.charts import overview as charts
from cem_core.charts.analysis import trend_chart
from cem_core.i18n import fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct
from cem_core.reports.download import report_bytes
from cem_core.ui import cache
from cem_core.ui.act_card import loop_card
from cem_core.ui.context import T, lang, require
from cem_core.ui.filters import current_filters
from cem_core.ui.kpi import kpi_card
from cem_core.ui.specs import chart_of, show

user = require("view_overview")
L = lang()
title, pdf_col, xlsx_col = st.columns([6, 2, 2], vertical_alignment="bottom")
title.title(T("overview.title"))
ov = cache.query(build_overview, current_filters(), L)
if ov is None:
    st.info(T("core.no_data"))
    st.stop()
filters = current_filters()
pdf_col.download_button(T("report.download_pdf"), lambda: report_bytes(cache.engine(), user, filters, L, "pdf"),
                        file_name=f"cem_report_{ov.date_from}_{ov.date_to}_{L}.pdf", mime="application/pdf",
                        key="report_pdf", icon=":material/picture_as_pdf:", on_click="ignore")
xlsx_col.download_button(T("report.download_xlsx"), lambda: report_bytes(cache.engine(), user, filters, L, "xlsx"),
                         file_name=f"cem_report_{ov.date_from}_{ov.date_to}_{L}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key="report_xlsx", icon=":material/table:", on_click="ignore")
pstart, pend = previous_period(ov.date_from, ov.date_to)
st.caption(T("overview.period", start=fmt_date(ov.date_from, L), end=fmt_date(ov.date_to, L),
             pstart=fmt_date(pstart, L), pend=fmt_date(pend, L)))
if ov.current.responses == 0:
    st.warning(T("overview.no_rows"))
    st.stop()


def delta(cur: float | None, prev: float | None, unit: str = "") -> str | None:
    if cur is None or prev is None:
        return None
    return f"{cur - prev:+.1f}{unit}"


def bounds(ci: tuple[float, float] | None, digits: int = 1) -> dict[str, str]:
    """A CI's ends for a card's caption ("–" where there are too few answers for one)."""
    return {"low": fmt_num(ci[0], L, digits) if ci else "–", "high": fmt_num(ci[1], L, digits) if ci else "–"}


PP = T("trust_access.pp")  # percentage points, translated
cur, prev = ov.current, ov.previous
row1 = st.columns(4)
with row1[0]:
    kpi_card(T("overview.nps"), fmt_num(cur.nps.nps, L), delta(cur.nps.nps, prev.nps.nps), help=T("overview.nps_help"),
             caption=T("overview.nps_caption", **bounds(cur.nps.ci), n=fmt_int(cur.nps.n, L)))
with row1[1]:
    kpi_card(T("overview.csat"), fmt_pct(cur.csat, L), delta(cur.csat, prev.csat, PP), help=T("overview.csat_help"),
             caption=T("overview.csat_caption", **bounds(csat_ci(cur)), n=fmt_int(cur.csat_n, L)))
with row1[2]:
    kpi_card(T("overview.ces"), fmt_num(cur.ces_mean, L, 2),
             None if cur.ces_mean is None or prev.ces_mean is None else f"{cur.ces_mean - prev.ces_mean:+.2f}",
             help=T("overview.ces_help"),
             caption=T("overview.ces_caption", **bounds(ces_ci(cur), 2), agree=fmt_pct(cur.ces_agree, L),
                       n=fmt_int(cur.ces_n, L)))
with row1[3]:
    kpi_card(T("overview.responses"), fmt_int(cur.responses, L),
             f"{cur.responses - prev.responses:+,}" if prev.responses else None)

row2 = st.columns(3)
with row2[0]:
    kpi_card(T("overview.promoters"), fmt_pct(cur.nps.promoter_share, L),
             delta(cur.nps.promoter_share, prev.nps.promoter_share, PP))
with row2[1]:
    kpi_card(T("overview.detractors"), fmt_pct(cur.nps.detractor_share, L),
             delta(cur.nps.detractor_share, prev.nps.detractor_share, PP), inverse=True)
with row2[2]:
    spend_delta = None if not prev.responses else f"{cur.detractor_spend - prev.detractor_spend:+,.0f}"
    kpi_card(T("overview.spend_at_risk"), fmt_money(cur.detractor_spend, L), spend_delta, inverse=True,
             help=T("overview.spend_help"))
loop_card(ov.date_from, ov.date_to)

st.subheader(T("overview.trend"))
st.caption(T("overview.trend_read"))
show(chart_of(charts.nps_trend, ov.trend, L), width="stretch")  # specs converted once, shared (ui.specs)
for column, measure, frame in zip(st.columns(2), ("csat", "ces"), (ov.csat_trend, ov.ces_trend), strict=True):
    with column:
        st.subheader(T(f"overview.trend_{measure}"))
        if not frame.empty:
            show(chart_of(trend_chart, frame, measure, L, True), width="stretch", key=f"overview_trend_{measure}")

left, right = st.columns(2)
with left:
    st.subheader(T("overview.by_stage"))
    show(chart_of(charts.nps_bars, ov.by_stage, L, T("overview.stage"), ov.by_stage["name"].tolist()), width="stretch")
with right:
    st.subheader(T("overview.by_channel"))
    show(chart_of(charts.nps_bars, ov.by_channel, L, T("overview.channel")), width="stretch")
st.caption(T("overview.bars_read"))
