"""A real browser opens the Journey page, sees the hotel journey map, clicks a touchpoint and sees that
touchpoint's responses (masked for an analyst-level view is covered by AppTest; here the admin path)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser_harness import admin_on_overview, wait_for_app

pytestmark = pytest.mark.browser



def test_click_touchpoint_on_the_map_shows_its_responses(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    admin_on_overview(live_app, page, demo_sqlite_url, tmp_path)
    page.get_by_role("link", name="Journey", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="Customer journey").wait_for()
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for()
    page.get_by_text("Front-desk check-in").first.wait_for(state="attached")  # the hotel journey is drawn
    box = chart.bounding_box()
    assert box is not None
    heading = page.get_by_text(re.compile(r"Responses: Touchpoint = .+"))
    # cells sit under the stage labels along the top; a click between cells selects nothing, so try a few
    for dx, dy in ((0.07, 70), (0.2, 70), (0.35, 70), (0.07, 90), (0.5, 75)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + dy)
        try:
            heading.wait_for(timeout=8000)
            break
        except PlaywrightTimeout:
            continue
    heading.wait_for()
    page.get_by_text(re.compile(r"[\d,]+ matching responses, newest first")).wait_for()
    page.locator("[data-testid='stDataFrame']").last.wait_for()  # the first is the map's table, folded
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path="/tmp/journey_map_click.png", full_page=True)
