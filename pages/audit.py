"""Audit log (admin): filter by date, actor and action; page through entries; export to Excel (audited)."""

import datetime as dt

import streamlit as st

from cem_core.audit import AuditFilter, count_entries, distinct_values, entries, export_frame
from cem_core.auth import journal
from cem_core.i18n import fmt_int
from cem_core.privacy.columns import NONE
from cem_core.privacy.release import export_file
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require

PAGE_SIZE = 200

user = require("view_audit")
engine = cache.engine()
journal.flush(engine)  # entries queued while an import held the writer, if it is free now
st.title(T("access.audit_title"))
st.caption(T("access.audit_intro"))

today = dt.date.today()
left, mid, right = st.columns([2, 2, 2])
dates = left.date_input(T("access.audit_dates"), value=(today - dt.timedelta(days=30), today), key="audit_dates",
                        format="YYYY-MM-DD")
actors = mid.multiselect(T("access.audit_actor"), distinct_values(engine, "actor"), key="audit_actors",
                         placeholder=T("access.all"))
actions = right.multiselect(T("access.audit_action"), distinct_values(engine, "action"), key="audit_actions",
                            placeholder=T("access.all"))
f = AuditFilter(date_from=dates[0] if len(dates) >= 1 else None, date_to=dates[1] if len(dates) == 2 else None,
                actors=tuple(actors), actions=tuple(actions))

total = count_entries(engine, f)
pages = max(1, -(-total // PAGE_SIZE))
info, pager = st.columns([4, 1], vertical_alignment="bottom")
info.caption(T("access.audit_count", n=fmt_int(total, lang())))
page = pager.number_input(T("access.audit_page"), min_value=1, max_value=pages, value=1, key="audit_page")
labels = {c: T(f"access.col_{c}") for c in ("at", "actor", "action", "target", "rows", "file_hash", "detail")}
st.dataframe(entries(engine, f, limit=PAGE_SIZE, offset=(int(page) - 1) * PAGE_SIZE).rename(columns=labels),
             hide_index=True, width="stretch")


def _export() -> bytes:
    """Built only when the button is clicked; like every download it is audited. The log holds no
    personal column (``audit.record`` refuses phones and emails), but it goes through the one rule."""
    return export_file(engine, user, {"audit": export_frame(engine, f).rename(columns=labels)}, "xlsx",
                       target="audit_log", columns=NONE)


st.download_button(T("access.audit_export"), _export, file_name=f"audit_{today:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="audit_export",
                   icon=":material/download:", on_click="ignore", disabled=total == 0)
