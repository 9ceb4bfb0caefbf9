"""A real browser signs in as two roles and sees different navigation; a typed URL needs a sign-in first."""

from __future__ import annotations

import pytest

from cem_core.auth.roles import PERMISSIONS
from cem_core.i18n import t
from cem_core.ui.nav import PAGES
from tests.browser_harness import demo_sign_in, private_copy, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_copy(demo_sqlite_url: str, tmp_path) -> str:
    """A private copy of the session's demo database: signing in writes audit entries."""
    return private_copy(demo_sqlite_url, tmp_path)


def _navigation(page) -> set[str]:
    links = page.locator("[data-testid='stSidebarNav'] a")
    links.first.wait_for()
    return {links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())}  # after the icon


def _expected(role: str) -> set[str]:
    return {t(p.title_key, "en") for p in PAGES if p.permission in PERMISSIONS[role]}


def test_two_roles_see_different_navigation(live_app, page, demo_copy: str, tmp_path) -> None:
    url = live_app(demo_copy, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en")
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("Try the demo").wait_for()  # labelled; the way in is the link in the terminal
    page.screenshot(path=str(tmp_path / "signin.png"), full_page=True)

    demo_sign_in(page, url, "analyst")
    analyst = _navigation(page)
    assert analyst == _expected("analyst") and "Users" not in analyst and "Audit log" not in analyst
    page.wait_for_selector("[data-testid='stMetric']")
    wait_for_app(page)
    page.screenshot(path=str(tmp_path / "analyst.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    wait_for_app(page)
    page.get_by_text("You have signed out.").wait_for()

    demo_sign_in(page, url, "admin")
    admin = _navigation(page)
    assert admin == _expected("admin") and {"Users", "Audit log", "Deletion on request"} <= admin
    assert admin != analyst
    page.get_by_role("link", name="Audit log").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Audit log").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

    page.goto(f"{url}/users")  # a typed URL opens a new session: sign-in first, not the page
    wait_for_app(page)
    page.get_by_text("Try the demo").wait_for()  # the setup screen with the demo beside it
    assert page.get_by_role("heading", name="Users").count() == 0
    assert page.url.endswith("/users")  # the address is kept while signing in ...
    demo_sign_in(page, url, "admin", path="users")
    page.get_by_role("heading", name="Users").wait_for()  # ... and the page it names opens after
    assert page.url.endswith("/users")


def test_deep_link_to_a_fresh_server_shows_sign_in(live_app, page, demo_copy: str) -> None:
    """The first session of a new server opening /analysis: Streamlit runs pages/analysis.py before the
    router has ever run; the page must hand over to sign-in, not show a denial beside a list of page files."""
    url = live_app(demo_copy, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en")
    page.goto(f"{url}/analysis")
    wait_for_app(page)
    page.get_by_text("Try the demo").wait_for()  # the setup screen with the demo beside it
    assert page.get_by_text("You do not have permission").count() == 0
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    demo_sign_in(page, url, "analyst", path="analysis")
    assert "Analysis" in _navigation(page)
    page.get_by_role("heading", name="Analysis").wait_for()  # the linked page, not the start page
    assert page.url.endswith("/analysis")
