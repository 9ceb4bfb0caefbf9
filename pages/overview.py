"""Executive overview: KPI cards against the previous period, NPS trend, NPS by stage and channel."""

import streamlit as st

from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import previous_period
from cem_core.charts import overview as charts
from cem_core.i18n import fmt_date, fmt_int, fmt_money, fmt_num, fmt_pct
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require
from cem_core.ui.filters import current_filters
from cem_core.ui.kpi import kpi_card

require("view_overview")
L = lang()
st.title(T("overview.title"))
ov = cache.query(build_overview, current_filters(), L)
if ov is None:
    st.info(T("core.no_data"))
    st.stop()
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


PP = T("trust_access.pp")  # percentage points, translated
cur, prev = ov.current, ov.previous
ci = cur.nps.ci
row1 = st.columns(4)
with row1[0]:
    kpi_card(T("overview.nps"), fmt_num(cur.nps.nps, L), delta(cur.nps.nps, prev.nps.nps), help=T("overview.nps_help"),
             caption=T("overview.nps_caption", low=fmt_num(ci[0], L) if ci else "–",
                       high=fmt_num(ci[1], L) if ci else "–", n=fmt_int(cur.nps.n, L)))
with row1[1]:
    kpi_card(T("overview.csat"), fmt_pct(cur.csat, L), delta(cur.csat, prev.csat, PP), help=T("overview.csat_help"),
             caption=T("overview.n_caption", n=fmt_int(cur.csat_n, L)))
with row1[2]:
    kpi_card(T("overview.ces"), fmt_num(cur.ces_mean, L, 2),
             None if cur.ces_mean is None or prev.ces_mean is None else f"{cur.ces_mean - prev.ces_mean:+.2f}",
             help=T("overview.ces_help"),
             caption=T("overview.ces_caption", agree=fmt_pct(cur.ces_agree, L), n=fmt_int(cur.ces_n, L)))
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

st.subheader(T("overview.trend"))
st.caption(T("overview.trend_read"))
st.altair_chart(charts.nps_trend(ov.trend, L), width="stretch")

left, right = st.columns(2)
with left:
    st.subheader(T("overview.by_stage"))
    st.altair_chart(charts.nps_bars(ov.by_stage, L, T("overview.stage"), sort=ov.by_stage["name"].tolist()),
                    width="stretch")
with right:
    st.subheader(T("overview.by_channel"))
    st.altair_chart(charts.nps_bars(ov.by_channel, L, T("overview.channel")), width="stretch")
st.caption(T("overview.bars_read"))
