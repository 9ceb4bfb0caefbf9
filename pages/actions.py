"""Act: close-the-loop figures for everyone with ``view_actions``; the work list, item detail and Excel
round trip for roles that see the items; the routing rules and the working calendar for those who manage
them."""

import streamlit as st

from cem_core.ui import act_views
from cem_core.ui.cache import engine
from cem_core.ui.context import T, require

user = require("view_actions")
st.title(T("act.title"))
if flash := st.session_state.pop("act_flash", None):
    st.success(flash)
tabs = [("act.tab.figures", act_views.figures_section, "view_actions"),
        ("act.tab.items", act_views.worklist_section, "view_action_items"),
        ("act.tab.excel", act_views.excel_section, "view_action_items"),
        ("act.tab.improvements", act_views.improvements_section, "view_action_items"),
        ("act.tab.rules", act_views.rules_section, "manage_rules"),
        ("act.tab.calendar", act_views.calendar_section, "manage_rules")]
allowed = [(key, fn) for key, fn, permission in tabs if user.can(permission)]
for (_key, fn), tab in zip(allowed, st.tabs([T(key) for key, _fn in allowed]), strict=True):
    with tab:
        fn(engine(), user)
