"""Deletion on request (PIPL Art. 47): find a customer by id, phone or email, check, confirm, delete everywhere."""

import streamlit as st

from cem_core.i18n import fmt_int
from cem_core.privacy.deletion import LOOKUP_KINDS, customer_preview, delete_customers, find_customers
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require

user = require("delete_customer")
engine = cache.engine()
L = lang()
st.title(T("access.privacy_title"))
st.caption(T("access.privacy_intro"))

done = st.session_state.pop("privacy_done", None)
if done:
    st.success(T("access.deleted", customers=fmt_int(done[0], L), responses=fmt_int(done[1], L),
                 rows=fmt_int(done[2], L)))

with st.form("privacy_find"):
    kind = st.radio(T("access.lookup_kind"), LOOKUP_KINDS, format_func=lambda k: T(f"access.kind.{k}"),
                    horizontal=True, key="privacy_kind")
    value = st.text_input(T("access.lookup_value"), key="privacy_value")
    if st.form_submit_button(T("access.find_button"), type="primary"):
        st.session_state["privacy_match"] = (kind, find_customers(engine, kind=kind, value=value))

match = st.session_state.get("privacy_match")
if match is not None:
    kind, ids = match
    if not ids:
        st.info(T("access.found_none"))
    else:
        preview = customer_preview(engine, ids, unmask=False)  # enough to recognise, no need to unmask
        st.write(T("access.found", n=fmt_int(len(ids), L), responses=fmt_int(int(preview["responses"].sum()), L)))
        st.dataframe(preview.drop(columns=["id"]).rename(columns=lambda c: T(f"access.col_{c}")), hide_index=True,
                     width="stretch")
        confirmed = st.checkbox(T("access.delete_confirm"), key="privacy_confirm")
        if st.button(T("access.delete_button"), type="primary", disabled=not confirmed, key="privacy_delete",
                     icon=":material/delete_forever:"):
            result = delete_customers(engine, ids, actor=user.username, matched_by=kind)
            cache.clear()  # deleting rows of existing batches does not change the data version
            for key in ("privacy_match", "privacy_confirm", "privacy_value"):
                st.session_state.pop(key, None)
            st.session_state["privacy_done"] = (result.customers, result.responses, sum(result.tables.values()))
            st.rerun()
