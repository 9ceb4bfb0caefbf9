"""The close-the-loop card on the overview: one call, ``loop_card(date_from, date_to)``; and the cached
close-the-loop figures it shares with the Actions page (``figures``, ``trend``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from cem_core.act.figures import actions_version, loop_figures, weekly_trend
from cem_core.act.items import scope_of
from cem_core.i18n import fmt_int, fmt_num, fmt_pct
from cem_core.ui import cache
from cem_core.ui.context import T, current_user, lang
from cem_core.ui.kpi import kpi_card


def _figures(engine: Engine, items_version: str, lang: str, scope: tuple[int, ...] | None,
             date_from: dt.date | None, date_to: dt.date | None, now: dt.datetime) -> pd.DataFrame:
    """``loop_figures`` under ``cache.query``, whose data version covers imports and settings;
    ``items_version`` covers the edits of items in between."""
    return loop_figures(engine, lang, scope=None if scope is None else set(scope), date_from=date_from,
                        date_to=date_to, now=now)


def _trend(engine: Engine, items_version: str, scope: tuple[int, ...] | None, date_from: dt.date | None,
           now: dt.datetime) -> pd.DataFrame:
    """``weekly_trend`` under ``cache.query`` (see ``_figures``)."""
    return weekly_trend(engine, scope=None if scope is None else set(scope), date_from=date_from, now=now)


def _key(engine: Engine, scope: set[int] | None) -> tuple[str, tuple[int, ...] | None, dt.datetime]:
    # overdue and breach counts move with the clock: a cached answer lives for the minute it was asked in
    return actions_version(engine), None if scope is None else tuple(sorted(scope)), \
        dt.datetime.now().replace(second=0, microsecond=0)


def figures(engine: Engine, lang: str, scope: set[int] | None, date_from: dt.date | None = None,
            date_to: dt.date | None = None) -> pd.DataFrame:
    """The close-the-loop figures, computed once per item version and minute, not on every rerun of a
    page (each click on the Actions page reruns it; the figures read rollups, a few tenths of a second at
    100k items on a busy machine)."""
    version, key, now = _key(engine, scope)
    return cache.query(_figures, version, lang, key, date_from, date_to, now)


def trend(engine: Engine, scope: set[int] | None, date_from: dt.date | None) -> pd.DataFrame:
    """The weekly trend, cached like ``figures``."""
    version, key, now = _key(engine, scope)
    return cache.query(_trend, version, key, date_from, now)


def loop_card(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """Items opened, closure rate, SLA breaches and recovered detractors of the period, scoped to the user."""
    user = current_user()
    if user is None or not user.can("view_actions"):
        return
    engine = cache.engine()
    total = figures(engine, lang(), scope_of(engine, user.scope), date_from, date_to).iloc[-1]
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
