"""The banner that says demo data is showing, with removal for users who may manage data."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from cem_core.db.models import ImportBatch
from cem_core.db.settings_store import set_value
from cem_core.demo.generator import remove_demo
from cem_core.ui import cache
from cem_core.ui.context import DEMO_REMOVED_KEY, T, current_user


def demo_rows() -> int:
    with cache.engine().connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(ImportBatch.rows_imported), 0))
                                .where(ImportBatch.is_demo.is_(True))).scalar_one())


def remove_and_remember() -> int:
    """Remove demo data and remember it, so the next start does not load it again."""
    engine = cache.engine()
    user = current_user()
    removed = remove_demo(engine, actor=user.username if user else "system")
    set_value(engine, DEMO_REMOVED_KEY, "1")
    cache.clear()
    st.session_state["demo_removed_rows"] = removed
    return removed


def demo_banner() -> None:
    removed = st.session_state.pop("demo_removed_rows", None)
    if removed is not None:
        st.success(T("demo.removed", rows=f"{removed:,}"))
    rows = demo_rows()
    if not rows:
        return
    user = current_user()
    text_col, button_col = st.columns([5, 1], vertical_alignment="center")
    text_col.info(T("demo.banner", rows=f"{rows:,}"), icon=":material/science:")
    if user is None or not user.can("manage_data"):
        return
    if button_col.button(T("demo.remove"), key="demo_remove"):
        st.session_state["demo_confirm"] = True
    if st.session_state.get("demo_confirm"):  # two steps, inline: removal cannot be undone
        st.warning(T("demo.remove_confirm"))
        left, right, _ = st.columns([1, 1, 4])
        if left.button(T("common.confirm"), type="primary", key="demo_remove_confirm"):
            st.session_state.pop("demo_confirm", None)
            remove_and_remember()
            st.rerun()
        if right.button(T("common.cancel"), key="demo_remove_cancel"):
            st.session_state.pop("demo_confirm", None)
            st.rerun()
