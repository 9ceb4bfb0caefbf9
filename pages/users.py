"""Users (admin): create, disable, reset password, set role and departments. Every change is audited."""

import pandas as pd
import streamlit as st

from cem_core.analyze.queries import dimension_table
from cem_core.auth.roles import ROLES
from cem_core.auth.users import UserError, create_user, list_users, set_password, update_user
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require

admin = require("manage_users")
engine = cache.engine()
st.title(T("access.users_title"))
st.caption(T("access.users_intro"))

flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash)


def role_name(role: str) -> str:
    return T(f"access.role.{role}")


def attempt(action, done: str) -> None:
    """Run a change; show its translated refusal, or remember the success message and rerun."""
    try:
        action()
    except UserError as err:
        st.error(T(err.key, **err.kwargs))
        return
    st.session_state["users_flash"] = done
    st.rerun()


depts: pd.DataFrame = cache.query(dimension_table, "departments", lang())
dept_names = dict(zip(depts["code"], depts["name"], strict=True))
records = list_users(engine)
st.dataframe(pd.DataFrame({
    T("access.col_username"): [r.username for r in records],
    T("access.col_display_name"): [r.display_name for r in records],
    T("access.col_role"): [role_name(r.role) for r in records],
    T("access.col_departments"): [", ".join(dept_names.get(d, d) for d in r.departments) for r in records],
    T("access.col_disabled"): [r.disabled for r in records],
    T("access.col_password_set"): [r.has_password for r in records],
    T("access.col_created"): [r.created_at for r in records],
    T("access.col_last_sign_in"): [r.last_sign_in_at for r in records],
}), hide_index=True, width="stretch")

create_tab, edit_tab = st.tabs([T("access.create_user"), T("access.edit_user")])
with create_tab, st.form("user_create", clear_on_submit=True):
    username = st.text_input(T("access.username"), key="new_username")
    display = st.text_input(T("access.display_name"), key="new_display")
    role = st.selectbox(T("access.role"), ROLES, format_func=role_name, key="new_role")
    chosen = st.multiselect(T("access.departments"), list(dept_names), format_func=dept_names.get, key="new_depts")
    password = st.text_input(T("access.initial_password"), type="password", key="new_password")
    if st.form_submit_button(T("access.create_button"), type="primary"):
        attempt(lambda: create_user(engine, username=username, role=role, actor=admin.username,
                                    password=password or None, display_name=display, departments=tuple(chosen)),
                T("access.created", username=username.strip().lower()))

with edit_tab:
    if records:
        by_name = {r.username: r for r in records}
        name = st.selectbox(T("access.select_user"), list(by_name), key="edit_user")
        rec = by_name[name]
        with st.form(f"user_edit_{name}"):
            e_display = st.text_input(T("access.display_name"), value=rec.display_name)
            e_role = st.selectbox(T("access.role"), ROLES, index=ROLES.index(rec.role), format_func=role_name)
            e_depts = st.multiselect(T("access.departments"), list(dept_names), default=list(rec.departments),
                                     format_func=dept_names.get)
            e_disabled = st.checkbox(T("access.disabled_flag"), value=rec.disabled)
            if st.form_submit_button(T("access.save"), type="primary"):
                attempt(lambda: update_user(engine, username=name, actor=admin.username, role=e_role,
                                            departments=tuple(e_depts), display_name=e_display,
                                            disabled=e_disabled),
                        T("access.saved", username=name))
        with st.form(f"user_reset_{name}", clear_on_submit=True):
            st.markdown(f"**{T('access.reset_password')}**")
            new_pw = st.text_input(T("access.new_password"), type="password")
            if st.form_submit_button(T("access.reset_password")):
                attempt(lambda: set_password(engine, username=name, password=new_pw, actor=admin.username),
                        T("access.password_reset_done", username=name))
