"""Two app servers on one Postgres: imports made at the same moment through both (browser) and through
two CLI processes all land, no customer is created twice, the rollups equal the rows, and a write
through one server shows in the other at its next rerun (caches keyed by the database's data version).
Sign-in throttling counts the failures made through either server, and a session ends after the same
lifetime on both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.auth import throttle
from cem_core.auth.users import create_user
from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.db.models import AuditEntry, Customer, LoginAttempt, Response
from cem_core.i18n import t
from tests.analyze.test_rollups import assert_rollups_equal_rows
from tests.browser_harness import sign_in, wait_for_app
from tests.db.test_bulk import HEADER
from tests.fixtures.ingest_files import write_csv

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
PASSWORD = "correct horse battery"
ENV = {"CEM_DEMO_ROWS": "0", "CEM_LANGUAGE": "en", "CEM_ADMIN_USER": "boss", "CEM_ADMIN_PASSWORD": PASSWORD,
       "CEM_PII_HASH_KEY": "one key for every server of this installation"}


@contextmanager
def two_servers(live_app, browser, pg_url: str, **extra: str) -> Iterator[list]:
    """Two servers on one database with the same settings (``ENV`` and ``extra``), a browser tab open on each."""
    urls = [live_app(pg_url, **ENV, **extra) for _ in range(2)]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US") for _ in urls]
    tabs = [ctx.new_page() for ctx in contexts]
    try:
        for tab, url in zip(tabs, urls, strict=True):
            tab.set_default_timeout(60_000)
            tab.goto(url)
            wait_for_app(tab)
        yield tabs
    finally:
        for ctx in contexts:
            ctx.close()


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
    with two_servers(live_app, browser, pg_url) as tabs:
        for tab in tabs:
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
                                  cwd=PROJECT_ROOT, env={**os.environ, **ENV, "CEM_DATABASE_URL": pg_url},
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

        # An import through the first server shows in the second's overview, cached at 1,000, at its next rerun.
        upload_and_check(tabs[0], write_csv(tmp_path / "e.csv", HEADER, rows("E", 600, 100)), 100)
        tabs[0].get_by_role("button", name="Import 100 valid rows").click()
        tabs[0].get_by_text("imported 100 rows").wait_for(timeout=120_000)
        overview_shows(tabs[1], "1,100")
        assert counts(engine) == (1100, 700, 0)
        assert_rollups_equal_rows(engine)
    engine.dispose()


LIFETIME_S = 20  # CEM_SESSION_MAX_HOURS for the expiry test: long enough to sign in on a loaded machine


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition on the database (every 0.1 s) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def attempts(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LoginAttempt)
                            .where(LoginAttempt.username == username)).scalar_one()


def submit_sign_in(tab, username: str, password: str) -> None:
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password", exact=True).fill(password)
    tab.get_by_role("button", name="Sign in").click()


PAGE_TITLES = {"Overview": t("overview.title", "en"), "Upload": t("upload.title", "en")}


def rerun(tab, link: str) -> bool:
    """Open ``link`` (another page than the one shown) in the navigation, a new run of the script; False
    when that run ended the session. The new page's title tells the run is drawn (it cannot be stale)."""
    tab.get_by_role("link", name=link).click()
    expired = tab.get_by_text(t("access.expired", "en"))
    expired.or_(tab.get_by_role("heading", name=PAGE_TITLES[link])).first.wait_for()
    wait_for_app(tab)
    return not expired.is_visible()


def test_throttling_and_session_expiry_through_either_server(live_app, browser, pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    for name in ("ann", "cy"):  # accounts made before the servers start: no administrator from ENV is set up
        create_user(engine, username=name, role="admin", actor="test", password=PASSWORD)
    with two_servers(live_app, browser, pg_url, CEM_SESSION_MAX_HOURS=str(LIFETIME_S / 3600)) as tabs:
        # Wrong passwords for one account, alternating servers: every failure counts towards one lock.
        for i in range(throttle.MAX_FAILURES):
            submit_sign_in(tabs[i % 2], "ann", "not the password")
            until(lambda n=i + 1: attempts(engine, "ann") == n, 60, f"failed attempt {i + 1} not recorded")
        throttled = t("access.throttled", "en", seconds=0).split(" Try")[0]
        for tab in tabs:  # the right password is refused through either server now
            submit_sign_in(tab, "ann", PASSWORD)
            tab.get_by_text(throttled).wait_for()
            assert tab.get_by_role("button", name="Sign out").count() == 0
        assert attempts(engine, "ann") == throttle.MAX_FAILURES  # refusals are not counted

        # Another account signs in through both; each session ends after the same lifetime.
        started = []
        for tab in tabs:
            started.append(time.monotonic())  # before the sign-in: its session cannot have begun earlier
            sign_in(tab, "cy", PASSWORD)
        for tab in tabs:
            assert rerun(tab, "Upload")  # still signed in right after signing in (sign_in left it on Overview)
        ended: dict[int, float] = {}  # tab -> when a rerun found its session over
        deadline, polls = time.monotonic() + LIFETIME_S * 6, 1
        while len(ended) < len(tabs):  # interact with both until each server ends its session
            assert time.monotonic() < deadline, f"a session outlived its lifetime: {ended}"
            polls += 1
            for i, tab in enumerate(tabs):
                if i not in ended and not rerun(tab, ("Overview", "Upload")[polls % 2]):
                    ended[i] = time.monotonic()
        for i, began in enumerate(started):
            assert ended[i] - began >= LIFETIME_S, (i, ended[i] - began)
        with engine.connect() as conn:
            expiries = conn.execute(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "session_expired", AuditEntry.actor == "cy")).scalar_one()
        assert expiries == 2  # one per server, in the shared audit log
    engine.dispose()
