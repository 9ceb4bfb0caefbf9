"""Data management: load a demo set for an industry, or remove the demo data."""

import streamlit as st

from cem_core.demo.catalog import INDUSTRIES
from cem_core.demo.generator import load_demo
from cem_core.ui import cache
from cem_core.ui.context import T, require
from cem_core.ui.demo_banner import demo_rows, remove_and_remember

user = require("manage_data")
st.title(T("nav.data"))

with st.form("demo_load"):
    st.subheader(T("demo.load"))
    industry = st.selectbox(T("demo.industry"), sorted(INDUSTRIES), format_func=lambda c: T(f"industry.{c}"))
    rows = st.number_input(T("demo.rows"), min_value=1_000, max_value=1_000_000, value=20_000, step=1_000)
    if st.form_submit_button(T("demo.load"), type="primary"):
        bar = st.progress(0.0)
        result = load_demo(cache.engine(), rows=int(rows), industry=industry,
                           seed=len(INDUSTRIES) + int(rows) % 997,
                           progress=lambda frac, _s: bar.progress(min(frac, 1.0)), actor=user.username)
        cache.clear()
        st.success(T("demo.loaded", rows=f"{result.responses:,}"))

if demo_rows() and st.button(T("demo.remove"), key="data_demo_remove"):
    remove_and_remember()
    st.rerun()
