"""The shared sidebar filters (date range, channel, stage, region, product, segment).

Widget state lives in ``st.session_state`` under ``flt_*`` keys, so a selection survives switching
pages; ``current_filters`` turns it into the frozen ``Filters`` value that queries and cache keys take.
A department lead's scope is added here, after the widgets, so no widget can widen it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cem_core.analyze.overview import default_window
from cem_core.analyze.queries import Filters, date_bounds, dimension_table, text_dimension_values
from cem_core.ui import cache
from cem_core.ui.context import T, current_user, lang

_MULTI = (
    ("channels", "filters.channel", "channels"),
    ("stages", "filters.stage", "journey_stages"),
    ("regions", "filters.region", "region"),
    ("products", "filters.product", "product"),
    ("segments", "filters.segment", "segment"),
)


def _options(source: str) -> tuple[list[str], dict[str, str]]:
    """Option codes and their display names for a filter; free-text values only from the user's scope."""
    if source in ("region", "product", "segment"):
        user = current_user()
        values = cache.query(text_dimension_values, source, user.scope if user else ())
        return values, {v: v for v in values}
    table: pd.DataFrame = cache.query(dimension_table, source, lang())
    return table["code"].tolist(), dict(zip(table["code"], table["name"], strict=True))


def _reset(lo: dt.date | None, hi: dt.date | None) -> None:
    """Put every filter back to its default by assigning it: deleting the ``flt_*`` keys (as this did)
    left the browser's multiselects showing, and sending back, the old choice (found by
    bench/bench_load.py: "Clear filters" kept the channel)."""
    for field, _, _ in _MULTI:
        st.session_state[f"flt_{field}"] = []
    if lo is not None and hi is not None:
        st.session_state["flt_dates"] = default_window(lo, hi)


def sidebar_filters() -> Filters:
    """Draw the filters in the sidebar and return the selection."""
    lo, hi = cache.query(date_bounds)
    with st.sidebar:
        st.subheader(T("filters.title"))
        if lo is not None and hi is not None:
            # the default goes into the session state, not ``value=``: "Clear filters" assigns the key, and a
            # widget given both logs a warning at every rerun after that
            st.session_state.setdefault("flt_dates", default_window(lo, hi))
            st.date_input(T("filters.dates"), min_value=lo, max_value=hi, key="flt_dates", format="YYYY-MM-DD")
        for field, label_key, source in _MULTI:
            codes, names = _options(source)
            st.multiselect(T(label_key), codes, format_func=lambda c, n=names: n.get(c, c), key=f"flt_{field}",
                           placeholder=T("filters.all"))
        st.button(T("filters.reset"), on_click=_reset, args=(lo, hi), width="stretch")
    return current_filters()


def current_filters() -> Filters:
    dates = st.session_state.get("flt_dates") or ()
    date_from: dt.date | None = dates[0] if len(dates) >= 1 else None
    date_to: dt.date | None = dates[1] if len(dates) == 2 else None
    user = current_user()
    return Filters(
        date_from=date_from,
        date_to=date_to,
        **{field: tuple(st.session_state.get(f"flt_{field}") or ()) for field, _, _ in _MULTI},
        departments=user.scope if user else (),
    )
