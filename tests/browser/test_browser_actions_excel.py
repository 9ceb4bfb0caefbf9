"""The newcomer's Excel round trip in a real browser: a department lead signs in, sees their open items,
exports them to Excel, marks two resolved with a root cause in the workbook (openpyxl, as Excel would),
uploads it on the Actions page and sees the closure rate change."""

from __future__ import annotations

import sqlite3

import openpyxl
import pytest

from cem_core.act.excel import KEYS
from cem_core.auth.demo_accounts import demo_username
from tests.browser.test_browser_actions import figures_moved, lead_on_actions
from tests.browser_harness import wait_for_app

pytestmark = pytest.mark.browser
COL = {k: i + 1 for i, k in enumerate(KEYS)}


def test_lead_round_trips_the_action_list_through_excel(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    db, before = lead_on_actions(live_app, page, demo_sqlite_url, tmp_path)

    page.get_by_role("tab", name="Work list").click()
    page.get_by_text("Showing").first.wait_for()  # the work list of the lead's department

    page.get_by_role("tab", name="Excel round trip").click()
    page.get_by_role("button", name="Prepare Excel").click()
    download_button = page.get_by_role("button", name="Download Excel")
    download_button.wait_for()
    with page.expect_download() as download:
        download_button.click()
    exported = tmp_path / "export.xlsx"
    download.value.save_as(exported)

    wb = openpyxl.load_workbook(exported)
    ws = next(w for w in wb.worksheets if w.sheet_state == "visible")
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, COL["status"]).value in ("Open", "In progress")]
    callbacks = [r for r in rows if ws.cell(r, COL["kind"]).value == "Call-back"]
    picked = (callbacks + [r for r in rows if r not in callbacks])[:2]
    assert len(picked) == 2, "the lead's export has fewer than two open items"
    ids = [ws.cell(r, COL["id"]).value for r in picked]
    for r in picked:
        ws.cell(r, COL["status"]).value = "Resolved"
        ws.cell(r, COL["root_cause"]).value = "Process problem"
        ws.cell(r, COL["resolution_note"]).value = "Called back, queue split into two lines"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)

    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(edited))
    page.get_by_role("button", name="Apply changes").click()
    page.get_by_text("Updated 2, unchanged").wait_for(state="attached", timeout=120_000)
    wait_for_app(page)
    figures_moved(page, before)
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        done = conn.execute(f"SELECT status, updated_by FROM action_items WHERE id IN ({ids[0]}, {ids[1]})").fetchall()
    assert done == [("resolved", demo_username("dept_lead"))] * 2
