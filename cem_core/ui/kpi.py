"""KPI cards: a value, its change against the previous period, and what the number rests on."""

from __future__ import annotations

import streamlit as st


def kpi_card(label: str, value: str, delta: str | None = None, *, help: str | None = None,
             caption: str | None = None, inverse: bool = False) -> None:
    """One bordered card; ``inverse`` colours a rise red (e.g. detractor share, effort)."""
    with st.container(border=True):
        st.metric(label, value, delta=delta, delta_color="inverse" if inverse else "normal", help=help)
        if caption:
            st.caption(caption)
