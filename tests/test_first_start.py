"""First start on an empty database loads labelled demo data; removing it is remembered across restarts."""

from __future__ import annotations

import pytest

from cem_core.analyze.queries import date_bounds
from cem_core.auth.roles import User
from cem_core.db import make_engine
from cem_core.db.settings_store import get_value
from cem_core.ui.context import DEMO_REMOVED_KEY
from tests.browser_harness import demo_sign_in, sign_in, wait_for_app
from tests.pages_harness import open_page, point_app_at

ADMIN = User("admin", "admin")


@pytest.fixture
def fresh(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    point_app_at(monkeypatch, sqlite_url)
    monkeypatch.setenv("CEM_DEMO_ROWS", "1500")
    return sqlite_url


def test_first_start_loads_labelled_demo(fresh: str) -> None:
    at = open_page(None, ADMIN)
    assert not at.exception
    assert any("demo data (1,500" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Responses"] not in ("0", "–")
    assert [b.key for b in at.button if b.key == "demo_remove"]


def test_demo_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, fresh: str) -> None:
    monkeypatch.setenv("CEM_DEMO_ROWS", "0")
    at = open_page(None, ADMIN)
    assert not at.exception
    assert date_bounds(make_engine(fresh)) == (None, None)
    assert any("no feedback yet" in i.value for i in at.info)


@pytest.mark.browser
def test_removing_demo_in_browser_is_remembered(live_app, page, sqlite_url: str) -> None:
    url = live_app(sqlite_url, CEM_DEMO_ROWS="1500", CEM_LANGUAGE="en")
    demo_sign_in(page, url, "admin")
    page.get_by_text("demo data (1,500 simulated responses)").wait_for()
    page.get_by_role("button", name="Remove demo data").click()
    page.get_by_role("button", name="Confirm").click()
    # Demo sign-in ends with the demo data, so the page may return to the sign-in screen.
    page.get_by_text("Removed 1,500 demo responses.").or_(page.get_by_text("Demo sign-in has ended")).first.wait_for()
    engine = make_engine(sqlite_url)
    assert date_bounds(engine) == (None, None)
    assert get_value(engine, DEMO_REMOVED_KEY) == "1"

    # A new server process with a configured first admin.
    restarted = live_app(sqlite_url, CEM_DEMO_ROWS="1500", CEM_LANGUAGE="en", CEM_ADMIN_USER="boss",
                         CEM_ADMIN_PASSWORD="Boss-Pass-2026")
    page.goto(restarted)
    wait_for_app(page)
    sign_in(page, "boss", "Boss-Pass-2026")
    page.get_by_text("There is no feedback yet").wait_for()
    assert page.get_by_text("simulated responses").count() == 0
    assert date_bounds(engine) == (None, None)
