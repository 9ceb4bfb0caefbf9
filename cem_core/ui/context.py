"""Per-session context every page needs: language, translation, the signed-in user, guards, first start."""

from __future__ import annotations

import threading

import streamlit as st
from sqlalchemy import Engine, func, select

from cem_core.auth.roles import User
from cem_core.config import get_setting
from cem_core.db.models import ImportBatch
from cem_core.db.settings_store import get_value
from cem_core.demo.generator import load_demo
from cem_core.ui import cache
from cem_core.ui.language import T as T  # re-exported: pages take both from here
from cem_core.ui.language import lang as lang
from cem_core.ui.nav import PAGES

DEMO_REMOVED_KEY = "demo_removed"
WANTED_PAGE = "_wanted_page"  # url path of a page asked for before the router ran (see ``require``)
_first_start = threading.Lock()


def current_user() -> User | None:
    """The signed-in user (set by the sign-in flow in ``st.session_state['user']``)."""
    user = st.session_state.get("user")
    return user if isinstance(user, User) else None


def require(permission: str) -> User:
    """Stop the page unless the signed-in user holds ``permission``: a typed URL shows nothing more."""
    user = current_user()
    if user is None and not st.session_state.get("_router_ran"):
        # A typed URL can reach a page script before the router (Streamlit runs a matching pages/ file
        # for a new session): hand the session to app.py, which shows sign-in first and then this page.
        st.session_state[WANTED_PAGE] = next((p.url_path for p in PAGES if p.permission == permission), None)
        st.switch_page("app.py")
    if user is None or not user.can(permission):
        st.error(T("core.access_denied"))
        st.stop()
    return user  # type: ignore[return-value]


def _demo_rows() -> int:
    try:
        return max(0, int(get_setting("demo_rows")))
    except ValueError:
        return 0


def ensure_first_start_data(engine: Engine) -> None:
    """On the very first start of an empty database, load the demo set (unless removed or turned off)."""
    rows = _demo_rows()
    if rows == 0:
        return
    with _first_start:
        with engine.connect() as conn:
            batches = conn.execute(select(func.count()).select_from(ImportBatch)).scalar_one()
        if batches or get_value(engine, DEMO_REMOVED_KEY) == "1":
            return
        bar = st.progress(0.0, text=T("demo.loading", rows=rows))
        load_demo(engine, rows=rows, industry=get_setting("demo_industry"),
                  progress=lambda frac, _stage: bar.progress(min(frac, 1.0), text=T("demo.loading", rows=rows)))
        bar.empty()
        cache.clear()
