"""A real browser uploads a GBK csv and an xlsx through the upload page, sees the report and the overview change;
and a large file goes through the real server in one batch."""

from __future__ import annotations

import pytest

from cem_core.db import make_engine, migrate
from tests.browser_harness import sign_in, wait_for_app
from tests.fixtures.ingest_files import excel_with_title, gbk_csv, write_csv
from tests.ingest.test_load import many_rows

pytestmark = pytest.mark.browser


def _responses_metric(page) -> str:
    card = page.locator("[data-testid='stMetric']").filter(has_text="Responses")
    return card.locator("[data-testid='stMetricValue']").inner_text()


def test_upload_gbk_csv_and_xlsx_in_real_browser(live_app, page, sqlite_url: str, tmp_path) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    engine.dispose()
    files = [gbk_csv(tmp_path / "门店反馈.csv"), excel_with_title(tmp_path / "小程序.xlsx")]
    url = live_app(sqlite_url, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en", CEM_ADMIN_USER="boss",
                   CEM_ADMIN_PASSWORD="correct horse battery")
    page.goto(url)
    wait_for_app(page)
    sign_in(page, "boss", "correct horse battery")
    page.get_by_role("link", name="Overview").wait_for()
    assert page.locator("[data-testid='stMetric']").count() == 0  # nothing to show yet

    page.get_by_role("link", name="Upload").click()  # in-app navigation keeps the signed-in session
    wait_for_app(page)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files([str(f) for f in files])
    wait_for_app(page)
    page.get_by_text("header in row 2").wait_for()  # the csv's title row was skipped
    page.get_by_text("header in row 3").wait_for()  # the xlsx's title and merged group rows too
    for i, valid in enumerate((4, 2)):  # wait for each report before the next click, or a rerun may eat it
        page.get_by_role("button", name="Check the data").nth(i).click()
        wait_for_app(page)
        page.get_by_role("button", name=f"Import {valid} valid rows").wait_for(timeout=60_000)
    page.get_by_role("button", name="Import 4 valid rows").click()
    wait_for_app(page)
    page.get_by_text("imported 4 rows").wait_for()
    page.get_by_role("button", name="Import 2 valid rows").click()
    wait_for_app(page)
    page.get_by_text("imported 2 rows").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

    page.get_by_role("link", name="Overview").click()
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMetric']")
    assert _responses_metric(page) == "6"

    page.get_by_role("link", name="Import history").click()
    wait_for_app(page)
    page.get_by_text("Import history").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0


def test_large_upload_lands_in_one_batch_under_streamlit(live_app, page, sqlite_url: str, tmp_path) -> None:
    """120k rows through the real server: several chunks, one batch, every row stored."""
    rows = 120_000
    path = write_csv(tmp_path / "大文件.csv",
                     ["提交时间", "推荐度", "满意度", "意见", "手机号", "门店", "渠道", "服务态度"], many_rows(rows))
    engine = make_engine(sqlite_url)
    migrate(engine)
    url = live_app(sqlite_url, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en", CEM_ADMIN_USER="boss",
                   CEM_ADMIN_PASSWORD="correct horse battery")
    page.goto(f"{url}/upload")
    wait_for_app(page)
    sign_in(page, "boss", "correct horse battery")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    wait_for_app(page)
    page.get_by_role("button", name="Check the data").click()
    wait_for_app(page)
    page.get_by_role("button", name="Import 120,000 valid rows").click()
    page.get_by_text("imported 120,000 rows").wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    with engine.connect() as conn:
        batch = conn.exec_driver_sql("SELECT status, rows_imported FROM import_batches").one()
        stored = conn.exec_driver_sql("SELECT count(*) FROM responses").scalar_one()
    engine.dispose()
    assert tuple(batch) == ("done", rows) and stored == rows
