"""CEM Dashboard: the router. Builds navigation from the pages the signed-in user may use.

Run with ``streamlit run app.py``. On first start with an empty database a demo set is loaded. A
database that cannot be opened shows a translated error page, one that cannot be written a read-only
notice (``cem_core.ui.faults``); the app stays up either way.
"""

from __future__ import annotations

from cem_core.ui.language import T, lang, title_tab

title_tab()  # before the slow imports below (see title_tab)

import streamlit as st

from cem_core.config import LANGUAGES
from cem_core.ui import cache, signin
from cem_core.ui.alert_badge import nav_title
from cem_core.ui.context import WANTED_PAGE, ensure_first_start_data
from cem_core.ui.demo_banner import demo_banner
from cem_core.ui.faults import OPERATIONAL, fault_page, read_only_notice
from cem_core.ui.filters import sidebar_filters
from cem_core.ui.nav import allowed_pages

st.session_state["_router_ran"] = True  # pages reached without the router send the session here
cache.begin_run()

try:
    ensure_first_start_data(cache.engine())
except OPERATIONAL as exc:
    fault_page(exc)

with st.sidebar:
    st.segmented_control(T("app.language"), LANGUAGES, format_func={"zh": "中文", "en": "English"}.get,
                         key="lang", default=lang())

try:
    user = signin.gate(cache.engine())  # the sign-in (or first-admin setup) screen until someone signs in
except OPERATIONAL as exc:
    fault_page(exc)

specs = allowed_pages(user)
sections: dict[str, list] = {}
pages = {}  # url path -> (page, spec): pages are found by their address, never by their translated title
for spec in specs:
    page = st.Page(spec.abspath, title=nav_title(spec, user), icon=spec.icon, url_path=spec.url_path,
                   default=spec.default)
    sections.setdefault(T(spec.section_key), []).append(page)
    pages[spec.url_path] = (page, spec)
current = st.navigation(sections, expanded=True)  # every page a role may use is listed, none behind "View more"
wanted = pages.get(st.session_state.pop(WANTED_PAGE, None) or "")
if wanted is not None and wanted[0].url_path != current.url_path:  # a deep link that reached a page before sign-in
    st.switch_page(wanted[0])
spec = next((s for p, s in pages.values() if p.url_path == current.url_path), None)
try:
    if spec is not None and spec.uses_filters:
        sidebar_filters()
    if spec is None or spec.path != "pages/upload.py":  # files read on the upload page do not outlive the visit
        for state in ("upl_staged", "upl_reports"):
            st.session_state.pop(state, None)
    read_only_notice()
    demo_banner()
    current.run()
except OPERATIONAL as exc:  # e.g. a write on a read-only database: say so, keep the app and its pages up
    fault_page(exc)
