"""A real browser opens the analysis page, clicks a cell of the stage x channel heat matrix and sees the
drill-down of that cell's responses, masked."""

from __future__ import annotations

import re

import pytest

from tests.browser_harness import admin_on_overview, wait_for_app

pytestmark = pytest.mark.browser



def test_click_matrix_cell_shows_drilldown(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    admin_on_overview(live_app, page, demo_sqlite_url, tmp_path)
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
