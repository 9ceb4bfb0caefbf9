"""Import history: every batch with its counts and status; undo a batch."""

import pandas as pd
import streamlit as st

from cem_core.i18n import fmt_int
from cem_core.ingest.errors import IngestError, stored_message
from cem_core.ingest.history import count_batches, list_batches
from cem_core.ingest.lease import settle_on_start
from cem_core.ingest.undo import undo_batch
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require
from cem_core.ui.plain import plain

user = require("view_imports")
L = lang()
st.title(T("imports.title"))
if settle_on_start(cache.engine(), user.username):  # an importer died since the app started
    cache.clear()
total = cache.query(count_batches)
if total == 0:
    st.info(T("imports.empty"))
    st.stop()
PAGE = 100
page = st.number_input(T("imports.page", pages=(total - 1) // PAGE + 1), min_value=1, max_value=(total - 1) // PAGE + 1,
                       value=1, key="imp_page") if total > PAGE else 1
frame = cache.query(list_batches, PAGE, (page - 1) * PAGE)
view = frame.assign(
    content_hash=frame["content_hash"].str[:12],
    status=frame["status"].map(lambda s: T(f"imports.status.{s}")),
    source=frame["source"].fillna("–"),
    duration_s=pd.to_numeric(frame["duration_s"]).round(1),  # None (running, interrupted) stays blank
    error=frame["error"].map(lambda e: stored_message(e, L)),
)[["id", "file_name", "source", "user_name", "started_at", "rows_imported", "rows_skipped", "rows_duplicate",
   "duration_s", "status", "content_hash", "error"]]
st.dataframe(view, hide_index=True, width="stretch", column_config={
    c: st.column_config.Column(T(f"imports.col.{c}")) for c in view.columns})
if (frame["status"] == "interrupted").any():
    st.info(T("faults.interrupted_note"), icon=":material/restart_alt:")

if not user.can("upload"):
    st.stop()
st.subheader(T("imports.undo"))
st.caption(T("imports.undo_help"))
done = frame[frame["status"] == "done"]
if done.empty:
    st.info(T("imports.nothing_to_undo"))
    st.stop()
labels = {int(r.id): f"#{r.id} · {r.file_name} · {fmt_int(r.rows_imported, L)}" for r in done.itertuples()}
batch = st.selectbox(T("imports.undo_pick"), list(labels), format_func=labels.get, key="imp_undo_pick")
sure = st.checkbox(T("imports.undo_confirm", label=plain(labels[batch])), key="imp_undo_sure")
if st.button(T("imports.undo_button"), type="primary", disabled=not sure, key="imp_undo_go"):
    try:
        removed = undo_batch(cache.engine(), batch, user.username)
    except IngestError as exc:
        st.error(plain(exc.message(L)))
    else:
        cache.clear()
        st.success(T("imports.undone", batch=batch, rows=fmt_int(removed, L)))
