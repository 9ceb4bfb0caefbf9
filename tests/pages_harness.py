"""Run the real app (app.py and its router) under ``streamlit.testing.v1.AppTest`` as a given user."""

from __future__ import annotations

import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def point_app_at(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    """Make the app under test use ``db_url`` with no first-start demo, and forget cached results:
    Streamlit's caches are process-wide and would leak between tests."""
    monkeypatch.setenv("CEM_DATABASE_URL", db_url)
    monkeypatch.setenv("CEM_DEMO_ROWS", "0")
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page: str | None, user: User | None, lang: str = "en", timeout: float = 60) -> AppTest:
    """Start the app as ``user`` (None: signed out) and switch to ``page`` (e.g. "pages/overview.py").

    After a switch AppTest keeps only the page script's elements; the router's sidebar (filters,
    language) is in the tree only on the default page, opened with ``page=None``.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    if user is not None:  # as if just signed in: the gate checks the session's age
        at.session_state["user"] = user
        at.session_state["auth_at"] = at.session_state["auth_seen"] = time.time()
    at.session_state["lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def assert_clean(at: AppTest) -> None:
    """The page ran without an exception or an error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_tab(at: AppTest, state_key: str, label: str) -> AppTest:
    """Switch a page's tab (held in session state under ``state_key``), rerun and check it ran clean."""
    at.session_state[state_key] = label
    at.run()
    assert_clean(at)
    return at
