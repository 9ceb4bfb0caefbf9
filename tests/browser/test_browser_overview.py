"""A real browser opens the running app: the overview's KPI cards show numbers and no error box."""

from __future__ import annotations

import re

import pytest

from tests.browser_harness import demo_sign_in, private_copy, wait_for_app

pytestmark = pytest.mark.browser


def test_overview_kpis_in_real_browser(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    url = live_app(private_copy(demo_sqlite_url, tmp_path), CEM_DEMO_ROWS="0", CEM_LANGUAGE="en")
    demo_sign_in(page, url, "executive")
    page.wait_for_selector("[data-testid='stMetric']")
    # the cards render one after another: wait for all of them (a failure times out here), then the run's end
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= 7",
                           timeout=60_000)
    wait_for_app(page)
    metrics = page.locator("[data-testid='stMetricValue']")
    assert metrics.count() >= 7
    values = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    assert all(re.search(r"\d", v) for v in values), values
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
