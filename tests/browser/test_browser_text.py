"""A real browser opens the Text page, sees the Chinese word cloud drawn (not boxes), clicks a term and
sees its comments with the term highlighted."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser_harness import admin_on_overview, wait_for_app

pytestmark = pytest.mark.browser



def test_click_a_term_shows_its_comments(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    url = admin_on_overview(live_app, page, demo_sqlite_url, tmp_path)
    page.get_by_role("link", name="Text", exact=True).click()
    wait_for_app(page)
    cloud = page.locator("[data-testid='stImage'] img").first
    cloud.wait_for()
    # the cloud as the browser received it: dark ink, in more than one colour (sentiment), not blank
    src = cloud.get_attribute("src") or ""
    if src.startswith("data:"):
        raw = base64.b64decode(src.split(",", 1)[1])
    else:
        raw = page.request.get(src if src.startswith("http") else url.rstrip("/") + src).body()
    pixels = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).reshape(-1, 3).astype(int)
    assert (pixels.sum(axis=1) < 600).sum() > 5000
    pills = page.locator("[data-testid='stElementContainer']").filter(
        has_text="Click a term to see its comments").locator("button")
    pills.first.wait_for()
    term = pills.nth(0).inner_text().strip()
    pills.nth(0).click()
    page.get_by_text(re.compile(rf"Comments with “{re.escape(term)}”")).wait_for()
    page.get_by_text(re.compile(r"[\d,]+ comments, 20 per page, newest first")).wait_for()
    page.get_by_text(re.compile(r"^Why: ")).first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "text_term.png"), full_page=True)
