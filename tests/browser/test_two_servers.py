"""Two app servers on one Postgres: imports made at the same moment through both (browser) and through
two CLI processes all land, no customer is created twice, the rollups equal the rows, and a write
through one server shows in the other at its next rerun (caches keyed by the database's data version)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.db.models import Customer, Response
from tests.analyze.test_rollups import assert_rollups_equal_rows
from tests.browser_harness import sign_in, wait_for_app
from tests.db.test_bulk import HEADER
from tests.fixtures.ingest_files import write_csv

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
PASSWORD = "correct horse battery"
ENV = {"CEM_DEMO_ROWS": "0", "CEM_LANGUAGE": "en", "CEM_ADMIN_USER": "boss", "CEM_ADMIN_PASSWORD": PASSWORD}


def rows(tag: str, start: int, n: int) -> list[list[str]]:
    """Feedback rows whose phones overlap between files (the same customers answer in both)."""
    return [[f"2024-0{1 + i % 6}-{1 + i % 28:02d} 11:{i % 60:02d}", str(i % 11), str(1 + i % 5), f"{tag} {i}",
             f"136{i:08d}", "上海", "微信小程序", str(1 + i % 5)] for i in range(start, start + n)]


def counts(engine: Engine) -> tuple[int, int, int]:
    """responses, customers, customers sharing a phone hash with another (must stay 0)."""
    c = Customer.__table__.c
    with engine.connect() as conn:
        dup = select(c.phone_hash).where(c.phone_hash.is_not(None)).group_by(c.phone_hash).having(func.count() > 1)
        return (conn.execute(select(func.count()).select_from(Response)).scalar_one(),
                conn.execute(select(func.count()).select_from(Customer)).scalar_one(),
                conn.execute(select(func.count()).select_from(dup.subquery())).scalar_one())


def overview_shows(tab, responses: str) -> None:
    """Open the overview afresh (a new run of its script) and wait until its responses card reads
    ``responses``; a stale cache would leave the old figure and time out."""
    tab.get_by_role("link", name="Upload").click()
    wait_for_app(tab)
    tab.get_by_role("link", name="Overview").click()
    wait_for_app(tab)
    card = tab.locator("[data-testid='stMetric']").filter(has_text="Responses")
    card.locator("[data-testid='stMetricValue']", has_text=responses).wait_for(timeout=30_000)


def upload_and_check(tab, path: Path, valid: int) -> None:
    tab.get_by_role("link", name="Upload").click()
    wait_for_app(tab)
    tab.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    wait_for_app(tab)
    tab.get_by_role("button", name="Check the data").click()
    wait_for_app(tab)
    tab.get_by_role("button", name=f"Import {valid} valid rows").wait_for(timeout=60_000)


def test_two_servers_import_at_once(live_app, browser, pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    env = {**ENV, "CEM_PII_HASH_KEY": "one key for every server of this installation"}
    urls = [live_app(pg_url, **env) for _ in range(2)]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US") for _ in urls]
    tabs = [ctx.new_page() for ctx in contexts]
    try:
        for tab, url in zip(tabs, urls, strict=True):
            tab.set_default_timeout(60_000)
            tab.goto(url)
            wait_for_app(tab)
            sign_in(tab, "boss", PASSWORD)
        files = [write_csv(tmp_path / "a.csv", HEADER, rows("A", 0, 300)),
                 write_csv(tmp_path / "b.csv", HEADER, rows("B", 150, 300))]
        for tab, path in zip(tabs, files, strict=True):
            upload_and_check(tab, path, 300)
        for tab in tabs:  # both imports start before either finishes
            tab.get_by_role("button", name="Import 300 valid rows").click()
        for tab in tabs:
            tab.get_by_text("imported 300 rows").wait_for(timeout=120_000)
            assert tab.locator("[data-testid='stException']").count() == 0
        assert counts(engine) == (600, 450, 0)
        assert_rollups_equal_rows(engine)
        for tab in tabs:
            overview_shows(tab, "600")

        # Two CLI processes at once, more overlapping customers.
        cli_files = [write_csv(tmp_path / "c.csv", HEADER, rows("C", 300, 200)),
                     write_csv(tmp_path / "d.csv", HEADER, rows("D", 400, 200))]
        procs = [subprocess.Popen([sys.executable, "-m", "cem_core", "import", str(f), "--json", "--user", "cli"],
                                  cwd=PROJECT_ROOT, env={**os.environ, **env, "CEM_DATABASE_URL": pg_url},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in cli_files]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert json.loads(out.strip().splitlines()[-1])["rows_imported"] == 200
        assert counts(engine) == (1000, 600, 0)
        assert_rollups_equal_rows(engine)

        # Each server's next rerun shows what the CLI wrote, though both cached the overview at 600.
        for tab in tabs:
            overview_shows(tab, "1,000")
    finally:
        for ctx in contexts:
            ctx.close()
        engine.dispose()
