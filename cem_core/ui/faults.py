"""How the app shows an operational fault: a translated error page instead of a traceback, and a
read-only notice while the database cannot be written (reading goes on where it can)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from cem_core.faults import Fault, classify, probe_write
from cem_core.ui import cache
from cem_core.ui.context import T, lang

# What the app catches around a page: database and disk errors (classified below; anything else is a
# bug and still surfaces). Streamlit's own control-flow exceptions (stop, rerun) are none of these.
OPERATIONAL = (Fault, OSError, SQLAlchemyError)


def as_fault(exc: BaseException) -> Fault:
    """The Fault behind ``exc``; re-raises ``exc`` when it is not an operational fault."""
    fault = classify(exc, cache.current_url())
    if fault is None:
        raise exc
    return fault


def fault_page(exc: BaseException) -> None:
    """The whole page is this error: say what is wrong with which database, then stop the run."""
    fault = as_fault(exc)
    st.title(T("faults.app_title"))
    st.error(fault.message(lang()), icon=":material/database_off:")
    st.caption(T("faults.app_help"))
    st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def _write_fault(url: str) -> tuple[str, dict[str, object]] | None:
    fault = probe_write(cache.engine_for(url))
    return None if fault is None else (fault.key, fault.values)


def write_fault() -> Fault | None:
    """Why the database cannot be written now (probed at most every 30 s), or None."""
    found = _write_fault(cache.current_url())
    return None if found is None else Fault(found[0], **found[1])


def read_only_notice() -> None:
    """A warning on every page while the database cannot be written."""
    fault = write_fault()
    if fault is not None:
        st.warning(T("faults.app_read_only", message=fault.message(lang())), icon=":material/edit_off:")
