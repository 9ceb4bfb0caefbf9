"""The close-the-loop card on the overview: one call, ``loop_card(date_from, date_to)``."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cem_core.act.figures import loop_figures
from cem_core.act.items import scope_of
from cem_core.i18n import fmt_int, fmt_num, fmt_pct
from cem_core.ui import cache
from cem_core.ui.context import T, current_user, lang
from cem_core.ui.kpi import kpi_card


def loop_card(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """Items opened, closure rate, SLA breaches and recovered detractors of the period, scoped to the user."""
    user = current_user()
    if user is None or not user.can("view_actions"):
        return
    engine = cache.engine()
    figures = loop_figures(engine, lang(), scope=scope_of(engine, user.scope), date_from=date_from, date_to=date_to)
    total = figures.iloc[-1]
    if not total["opened"]:
        return
    L = lang()
    st.subheader(T("act.card.title"))
    cols = st.columns(4)
    with cols[0]:
        kpi_card(T("act.fig.opened"), fmt_int(total["opened"], L),
                 caption=T("act.card.overdue", n=fmt_int(total["open_overdue"], L)))
    with cols[1]:
        kpi_card(T("act.fig.closure_rate"), fmt_pct(total["closure_rate"], L), help=T("act.fig.closure_help"))
    with cols[2]:
        kpi_card(T("act.fig.breach_rate"), fmt_pct(total["breach_rate"], L), help=T("act.fig.breach_help"),
                 caption=T("act.card.median", h=fmt_num(total["median_contact_h"], L)))
    with cols[3]:
        kpi_card(T("act.fig.recovered"), fmt_int(total["recovered"], L), help=T("act.fig.recovered_help"),
                 caption=T("act.card.recovery", rate=fmt_pct(total["recovery_rate"], L)))
