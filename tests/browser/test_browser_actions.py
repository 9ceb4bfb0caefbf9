"""A department lead, in a real browser, resolves an action item on the Actions page and sees the
closure rate move; the item is audited under their name."""

from __future__ import annotations

import sqlite3

import pytest

from cem_core.auth.demo_accounts import demo_username
from tests.browser_harness import demo_sign_in, private_copy, wait_for_app

pytestmark = pytest.mark.browser


def closure_rate(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Closure rate").first
    return metric.locator("[data-testid='stMetricValue']").text_content()


def lead_on_actions(live_app, page, demo_sqlite_url: str, tmp_path) -> tuple[str, str]:
    """A server on a private copy of the demo, a department lead signed in the newcomer's way (the link
    the server printed) on the Actions page: (the copy's URL, the closure rate shown)."""
    db = private_copy(demo_sqlite_url, tmp_path)
    url = live_app(db, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en")
    demo_sign_in(page, url, "dept_lead")
    page.get_by_role("link", name="Actions").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Figures").wait_for()
    before = closure_rate(page)
    assert before and "%" in before
    return db, before


def figures_moved(page, before: str) -> None:
    """Open the Figures tab and wait until the closure rate is no longer ``before``; no error shown."""
    page.get_by_role("tab", name="Figures").click()
    page.wait_for_function(
        """(before) => [...document.querySelectorAll("[data-testid='stMetric']")]
              .some(m => m.innerText.includes('Closure rate') && !m.innerText.includes(before))""", arg=before)
    assert closure_rate(page) != before
    assert page.locator("[data-testid='stException']").count() == 0


def choose(page, box, option: str) -> None:
    """Open a selectbox and pick ``option``, by typing it into the box's search field."""
    box.locator("input").click()
    box.locator("input").fill(option)
    page.get_by_role("option", name=option).first.click()


def test_lead_resolves_an_item_and_the_figures_move(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    db, before = lead_on_actions(live_app, page, demo_sqlite_url, tmp_path)

    page.get_by_role("tab", name="Work list").click()
    wait_for_app(page)
    form = page.locator("[data-testid='stForm']").filter(has_text="Resolution note")
    form.wait_for()
    choose(page, form.locator("[data-testid='stSelectbox']").nth(0), "Resolved")
    choose(page, form.locator("[data-testid='stSelectbox']").nth(1), "Process problem")
    form.get_by_label("Resolution note").fill("Check-in queue split into two lines")
    form.get_by_role("button", name="Save").click()
    page.get_by_text("saved").first.wait_for()
    wait_for_app(page)
    figures_moved(page, before)
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        actor = conn.execute("SELECT actor FROM audit_log WHERE action = 'action_change' ORDER BY id DESC").fetchone()
    assert actor == (demo_username("dept_lead"),)
    page.screenshot(path=str(tmp_path / "actions.png"), full_page=True)
