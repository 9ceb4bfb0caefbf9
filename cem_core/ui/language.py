"""The session's language and translation in it. Kept apart from ``context`` (which pulls in the database
and the demo generator) so the router can title the browser tab before its slow imports run."""

from __future__ import annotations

import streamlit as st

from cem_core.config import LANGUAGES, default_language
from cem_core.i18n import t


def lang() -> str:
    value = st.session_state.get("lang")
    return value if value in LANGUAGES else default_language()


def T(key: str, /, **kwargs: object) -> str:
    """``t`` in the session's language."""
    return t(key, lang(), **kwargs)


def title_tab() -> None:
    """The browser tab carries the product's name in the session's language. The router calls this first
    thing on every run: a server's first run starts in Streamlit's pages-folder mode (``pages/`` exists),
    which titles the tab after the router's file ("app") until this call, and on a cold start the router's
    other imports take seconds; the sign-in screen was titled "app" all that time."""
    st.set_page_config(page_title=T("trust_access.page_title"), page_icon=":material/insights:", layout="wide")
