"""Real-browser fixtures: ``streamlit run app.py`` on a free port, driven by Debian Chromium via Playwright.

``live_app(db_url, **env)`` starts a server against that database and returns its base URL (servers
stop at the end of the test; ``address="0.0.0.0"`` listens on every interface, as ``streamlit run app.py``
does by default); ``browser`` is a session-wide headless Chromium; ``page`` a fresh tab. A server's
terminal output is kept in a log file, so ``printed_token`` can read the start token it prints, as a
person at that terminal would.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cem_core.auth.start_token import QUERY_PARAM
from cem_core.config import PROJECT_ROOT
from cem_core.i18n import t

#: The first administrator the browser tests that sign in by password start their servers with.
ADMIN_USER, ADMIN_PASSWORD = "boss", "correct horse battery"
CHROMIUM = os.environ.get("CEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LOGS: dict[str, Path] = {}  # base URL -> the server's terminal output


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Until the server answers its health check; waiting on the process doubles as the pause between
    tries and notices a server that exits early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        try:
            code = proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"streamlit exited early with code {code}:\n{log.read_text(errors='replace')}")
    raise TimeoutError(f"streamlit did not answer on {url}:\n{log.read_text(errors='replace')}")


@pytest.fixture
def live_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Callable[..., str]]:
    """Start servers; each one's output goes to a log file that is shown with the test's report when it
    fails (pytest prints report sections of failed tests only)."""
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start(db_url: str, *, address: str = "127.0.0.1", **env: str) -> str:
        port = free_port()
        log = tmp_path_factory.mktemp("server") / "streamlit.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.port", str(port),
                 "--server.address", address, "--server.headless", "true"],
                cwd=PROJECT_ROOT, env={**os.environ, "CEM_DATABASE_URL": db_url, **env},
                stdout=out, stderr=subprocess.STDOUT, text=True)
        procs.append((proc, log))
        url = f"http://127.0.0.1:{port}"
        _LOGS[url] = log
        _wait_healthy(url, proc, log)
        return url

    yield start
    for i, (proc, log) in enumerate(procs):
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        request.node.add_report_section("teardown", f"streamlit server {i + 1} log ({log})",
                                        log.read_text(errors="replace")[-20_000:])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (see README)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def wait_for_app(tab, timeout: float = 60_000) -> None:
    """Wait until Streamlit finished running the script (no running indicator, main block present)."""
    tab.wait_for_selector("[data-testid='stMain']", timeout=timeout)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def private_copy(sqlite_url: str, directory: Path) -> str:
    """A private copy of a (session-shared) SQLite database, for a server that will write to it. The PII
    key file beside the database goes with it, as an operator's backup would: once any test has opened
    the shared database, it holds the key's fingerprint, and a copy without its key is refused."""
    source = Path(sqlite_url.removeprefix("sqlite:///"))
    target = directory / "private.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    key = source.with_name(source.name + ".pii_key")
    if key.exists():
        shutil.copy2(key, target.with_name(target.name + ".pii_key"))
    return f"sqlite:///{target}"


def sign_in(tab, username: str, password: str) -> None:
    """Fill the English sign-in form and wait until the signed-in app is shown."""
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password", exact=True).fill(password)
    tab.get_by_role("button", name="Sign in").click()
    wait_for_app(tab)
    tab.get_by_role("button", name="Sign out").wait_for()


def admin_on_overview(live_app, tab, sqlite_url: str, directory: Path) -> str:
    """Start a server (English) on a private copy of ``sqlite_url`` with a first administrator, sign in as
    that administrator and wait until the overview is drawn (its in-app links are live); returns the URL.
    The copy is private because signing in writes users and audit rows."""
    url = live_app(private_copy(sqlite_url, directory), CEM_DEMO_ROWS="0", CEM_LANGUAGE="en",
                   CEM_ADMIN_USER=ADMIN_USER, CEM_ADMIN_PASSWORD=ADMIN_PASSWORD)
    tab.goto(url)
    wait_for_app(tab)
    sign_in(tab, ADMIN_USER, ADMIN_PASSWORD)
    tab.wait_for_selector("[data-testid='stMetric']")
    return url


def printed_token(url: str, timeout: float = 30) -> str:
    """The start token in the sign-in link the server at ``url`` printed to its terminal (it prints it when
    the first visitor sees the sign-in or setup screen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(rf"https?://\S+\?{QUERY_PARAM}=(\S+)", _LOGS[url].read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise TimeoutError(f"no sign-in link printed by {url}: {_LOGS[url].read_text(errors='replace')}")


def demo_sign_in(tab, url: str, role: str, path: str = "") -> None:
    """Sign in to the demo as a newcomer on the server's machine does: open the link from the terminal,
    pick a role (English UI)."""
    tab.goto(f"{url}/{path}")
    wait_for_app(tab)
    tab.goto(f"{url}/{path}?{QUERY_PARAM}={urllib.parse.quote(printed_token(url))}")
    wait_for_app(tab)
    tab.get_by_role("button", name=t("trust_access.demo_as", "en", role=t(f"access.role.{role}", "en"))).click()
    wait_for_app(tab)
    tab.get_by_role("button", name="Sign out").wait_for()


def non_loopback_address() -> str | None:
    """This machine's address on its network (how another machine reaches it), or None if it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent, only a route is chosen
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
