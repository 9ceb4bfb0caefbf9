"""A real browser: after an import whose rows drop NPS, the sidebar counts an unread alert; opening it
shows the figures, and "Open view" lands on the analysis page filtered to the alert's period."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cem_core.alerts.rules import Rule, save_rule
from cem_core.db import make_engine, migrate
from cem_core.ingest.load import import_file
from tests.browser_harness import sign_in, wait_for_app
from tests.fixtures.ingest_files import HEADER_ZH, write_csv

pytestmark = pytest.mark.browser
ADMIN, PASSWORD = "boss", "correct-horse-battery-9"


def _rows(day: str, nps: str, tag: str) -> list[list[str]]:
    return [[f"{day} 10:00", nps, "3", f"{tag}{i}", "", "上海", "微信小程序", "3"] for i in range(40)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of the test's own, once on SQLite and once on Postgres."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_alert_appears_after_import_and_opens_its_view(live_app, page, db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    save_rule(engine, Rule("NPS day over day", window_days=1, min_n=30), "boss")
    import_file(engine, write_csv(tmp_path / "mon.csv", HEADER_ZH, _rows("2024-03-05", "10", "a")), user="u")
    url = live_app(db_url, CEM_DEMO_ROWS="0", CEM_LANGUAGE="en", CEM_ADMIN_USER=ADMIN, CEM_ADMIN_PASSWORD=PASSWORD)
    page.goto(url)
    wait_for_app(page)
    sign_in(page, ADMIN, PASSWORD)
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("Alerts", exact=True).wait_for()

    report = import_file(engine, write_csv(tmp_path / "tue.csv", HEADER_ZH, _rows("2024-03-06", "2", "b")), user="u")
    assert report.status == "done"
    nav.get_by_text("Alerts", exact=True).click()  # a rerun redraws the navigation (a reload would sign out)
    wait_for_app(page)
    nav.get_by_text("Alerts (1 unread)").wait_for()
    wait_for_app(page)
    page.get_by_text(re.compile(r"NPS \(overall\): 100\.0 -> -100\.0")).wait_for()
    page.get_by_role("button", name="Open view").click()
    page.wait_for_url(re.compile(r"/analysis"))
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    nav.get_by_text("Alerts", exact=True).wait_for()  # read now: no unread count
    engine.dispose()
