"""A real browser opens the analysis page, clicks a cell of the stage x channel heat matrix and sees the
drill-down of that cell's responses, masked."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser_harness import wait_for_app

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "boss", "correct horse battery"


def _sign_in_if_asked(page) -> None:
    """The sign-in gate shows a form; without it (older builds) the app opens signed in."""
    sign_in = page.get_by_role("button", name="Sign in", exact=True)
    sign_in.or_(page.get_by_role("link", name="Analysis", exact=True)).first.wait_for()
    if sign_in.count():
        page.get_by_label("Username").fill(ADMIN)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        wait_for_app(page)
        page.get_by_role("button", name="Sign out").wait_for()


def test_click_matrix_cell_shows_drilldown(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    db = tmp_path / "demo.db"  # a private copy: signing in writes users and audit rows
    with sqlite3.connect(demo_sqlite_url.split("///", 1)[1]) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    url = live_app(f"sqlite:///{db}", CEM_DEMO_ROWS="0", CEM_LANGUAGE="en", CEM_ADMIN_USER=ADMIN,
                   CEM_ADMIN_PASSWORD=PASSWORD)
    page.goto(url)
    wait_for_app(page)
    _sign_in_if_asked(page)
    page.wait_for_selector("[data-testid='stMetric']")  # the overview is fully drawn: in-app links are live
    page.get_by_role("link", name="Analysis", exact=True).click()
    wait_for_app(page)
    page.get_by_role("tab", name="Heat matrix").click()
    wait_for_app(page)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for()
    page.wait_for_timeout(1000)  # let Vega draw
    box = chart.bounding_box()
    assert box is not None
    heading = page.get_by_text(re.compile(r"Responses: Journey stage = .+; Channel = "))
    # the plot area fills the right of the chart (left: stage labels, bottom: channel labels); a click on
    # an empty cell selects nothing, so try a few spots, each time waiting for the rerun to finish
    for fx, fy in ((0.55, 0.3), (0.7, 0.45), (0.45, 0.2), (0.8, 0.6)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        try:
            heading.wait_for(timeout=8000)
            break
        except PlaywrightTimeout:
            continue
    heading.wait_for()
    page.get_by_text(re.compile(r"[\d,]+ matching responses, newest first")).wait_for()
    grid = page.locator("[data-testid='stDataFrame']")
    grid.first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "analysis_drilldown.png"), full_page=True)
