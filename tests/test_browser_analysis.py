"""A real browser opens the analysis page, clicks a cell of the stage x channel heat matrix and sees the
drill-down of that cell's responses, masked."""

from __future__ import annotations

import re

import pytest

from tests.browser_harness import private_copy, sign_in, wait_for_app

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "boss", "correct horse battery"


def test_click_matrix_cell_shows_drilldown(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    db = private_copy(demo_sqlite_url, tmp_path)  # signing in writes users and audit rows
    url = live_app(db, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en", CEM_ADMIN_USER=ADMIN,
                   CEM_ADMIN_PASSWORD=PASSWORD)
    page.goto(url)
    wait_for_app(page)
    sign_in(page, ADMIN, PASSWORD)
    page.wait_for_selector("[data-testid='stMetric']")  # the overview is fully drawn: in-app links are live
    page.get_by_role("link", name="Analysis", exact=True).click()
    wait_for_app(page)
    page.get_by_role("tab", name="Heat matrix").click()
    wait_for_app(page)
    # every cell of the matrix is an SVG element labelled with its stage, channel and NPS; the click goes
    # to that element (the NPS text drawn over the cell would take a click at its position)
    cell = page.locator("[data-testid='stVegaLiteChart'] g.mark-rect path[aria-label*='NPS']").first
    cell.wait_for()
    cell.dispatch_event("click")
    heading = page.get_by_text(re.compile(r"Responses: Journey stage = .+; Channel = "))
    heading.wait_for()
    page.get_by_text(re.compile(r"[\d,]+ matching responses, newest first")).wait_for()
    grid = page.locator("[data-testid='stDataFrame']")
    grid.first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "analysis_drilldown.png"), full_page=True)
