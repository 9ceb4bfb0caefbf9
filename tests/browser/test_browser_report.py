"""A newcomer on the demo switches the app to Chinese and downloads the executive PDF from the overview: the
file is a PDF whose text is Chinese and shows the NPS and n that ``python -m cem_core stats --json`` gives
for the period printed on its cover."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from cem_core.config import PROJECT_ROOT
from cem_core.i18n import t
from tests.browser_harness import demo_sign_in, private_copy, wait_for_app

pytestmark = pytest.mark.browser


def test_newcomer_downloads_the_chinese_pdf_from_the_overview(live_app, page, demo_sqlite_url: str,
                                                              tmp_path: Path) -> None:
    db_url = private_copy(demo_sqlite_url, tmp_path)
    url = live_app(db_url, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en")
    demo_sign_in(page, url, "executive")
    page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()  # the language switch
    page.get_by_role("heading", name=t("overview.title", "zh")).wait_for()  # the rerun in Chinese is drawn
    wait_for_app(page)
    button = page.get_by_role("button", name=t("report.download_pdf", "zh"))
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert re.fullmatch(r"cem_report_\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d_zh\.pdf", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert t("report.title", "zh") in text and t("report.sec.kpis", "zh") in text  # Chinese extracts as Chinese
    period = re.search(r"统计期间：(\d{4}-\d\d-\d\d) 至 (\d{4}-\d\d-\d\d)", text)
    assert period, text[:500]
    stats = subprocess.run(
        [sys.executable, "-m", "cem_core", "stats", "--json", "--from", period[1], "--to", period[2]],
        cwd=PROJECT_ROOT, env={**os.environ, "CEM_DATABASE_URL": db_url}, capture_output=True, text=True,
        timeout=120, check=True)
    figures = json.loads(stats.stdout)
    kpi_lines = text.splitlines()
    nps_row = kpi_lines[kpi_lines.index(t("report.kpi.nps", "zh")):][:6]  # metric, value, previous, change, CI, n
    assert nps_row[1] == f"{figures['nps']:.2f}" and nps_row[5] == f"{figures['nps_n']:,}", (nps_row, figures)
    assert f"{figures['responses']:,}" in text
    assert page.locator("[data-testid='stException']").count() == 0
