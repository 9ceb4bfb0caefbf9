"""A real browser: "Clear filters" empties the sidebar's multiselects (deleting their session keys left the
browser showing, and sending back, the old choice; found by bench/bench_load.py)."""

from __future__ import annotations

import pytest

from tests.browser_harness import admin_on_overview, wait_for_app

pytestmark = pytest.mark.browser



def test_clear_filters_empties_the_channel_choice(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    admin_on_overview(live_app, page, demo_sqlite_url, tmp_path)
    sidebar = page.locator("[data-testid='stSidebar']")
    box = sidebar.get_by_role("combobox", name="Channel")
    tags = sidebar.locator("[data-testid='stMultiSelect']").filter(has_text="Channel").locator(
        "[data-testid='stMultiSelectTagsContainer']")
    box.click()
    box.fill("SMS survey")
    page.get_by_role("option", name="SMS survey", exact=True).click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    tags.filter(has_text="SMS survey").wait_for()
    sidebar.get_by_role("button", name="Clear filters").click()
    wait_for_app(page)
    page.wait_for_function("el => !el.innerText.includes('SMS survey')", arg=tags.element_handle())
    page.get_by_role("link", name="Analysis", exact=True).click()  # and it stays cleared on another page
    wait_for_app(page)
    page.get_by_role("tab", name="Heat matrix").wait_for()
    assert "SMS survey" not in tags.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
