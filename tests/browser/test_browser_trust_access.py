"""Issue 11 (Trust) in a real browser: a server started as ``streamlit run app.py`` starts it (listening on
every interface) lets nobody in with a published credential, and a Chinese browser tab has a Chinese title."""

from __future__ import annotations

import re

import pytest

from cem_core.auth.roles import ROLES
from cem_core.config import PROJECT_ROOT
from cem_core.i18n import t
from tests.browser_harness import QUERY_PARAM, non_loopback_address, printed_token, private_copy, wait_for_app

pytestmark = pytest.mark.browser

# What earlier versions printed on the sign-in screen and in the README, for every role.
PUBLISHED = [(f"demo_{role}", f"demo-{role}-pass") for role in ROLES]
_CREDENTIAL = re.compile(r"`(demo_[a-z_]+)`[^`\n]{0,40}`([^`\s]{6,})`")


def _published() -> list[tuple[str, str]]:
    """The known list plus any `user` ... `password` pair the README shows today (it shows none)."""
    found = _CREDENTIAL.findall((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    return list(dict.fromkeys(PUBLISHED + found))


def test_published_credentials_open_nothing_from_another_machine(live_app, page, demo_sqlite_url: str,
                                                                  tmp_path) -> None:
    """Connects through the machine's network address, as another machine would (a loopback connection
    could be mistaken for the local user, which this design never relies on anyway)."""
    address = non_loopback_address()
    if address is None:  # a machine without a network: the loopback address stands in (same code path)
        address = "127.0.0.1"
    url = live_app(private_copy(demo_sqlite_url, tmp_path), address="0.0.0.0", CEM_DEMO_ROWS="0",
                   CEM_LANGUAGE="en")
    remote = url.replace("127.0.0.1", address)
    page.goto(remote)
    wait_for_app(page)
    body = page.inner_text("body")
    assert "-pass" not in body and printed_token(url) not in body  # nothing to copy from the screen
    page.get_by_text("Try the demo").wait_for()
    assert page.get_by_role("button", name=re.compile("^Enter as demo")).count() == 0

    for username, password in _published():
        # as a password ... (in demo mode the screen offers setup, whose form asks for the start token)
        page.get_by_label("Start token", exact=True).first.fill(password)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_label("Repeat password").fill(password)
        page.get_by_role("button", name="Create administrator").click()
        wait_for_app(page)
        page.get_by_text(t("trust_access.bad_token", "en")).first.wait_for()
        # ... and as the demo's start token, in the link and pasted
        page.goto(f"{remote}/?{QUERY_PARAM}={password}")
        wait_for_app(page)
        page.get_by_text("Try the demo").wait_for()
        assert page.get_by_role("button", name=re.compile("^Enter as demo")).count() == 0
        assert page.get_by_role("button", name="Sign out").count() == 0
    page.screenshot(path=str(tmp_path / "remote.png"), full_page=True)

    # The same database once a real admin exists (configured): the password form, and every published pair.
    (tmp_path / "b").mkdir()
    url = live_app(private_copy(demo_sqlite_url, tmp_path / "b"), address="0.0.0.0", CEM_DEMO_ROWS="0",
                   CEM_LANGUAGE="en", CEM_ADMIN_USER="boss", CEM_ADMIN_PASSWORD="Boss-Pass-2026")
    remote = url.replace("127.0.0.1", address)
    page.goto(remote)
    wait_for_app(page)
    assert page.get_by_text("Try the demo").count() == 0  # a real admin ended demo sign-in
    for username, password in _published():
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page)
        page.get_by_text(t("access.bad_credentials", "en")).wait_for()
        assert page.get_by_role("button", name="Sign out").count() == 0


def test_chinese_browser_tab_title(live_app, page, sqlite_url: str) -> None:
    url = live_app(sqlite_url, CEM_DEMO_ROWS="0", CEM_LANGUAGE="zh", CEM_ADMIN_USER="boss",
                   CEM_ADMIN_PASSWORD="Boss-Pass-2026")
    page.goto(url)
    wait_for_app(page)
    page.get_by_label(t("access.username", "zh")).fill("boss")
    page.get_by_label(t("access.password", "zh"), exact=True).fill("Boss-Pass-2026")
    page.get_by_role("button", name=t("access.signin_button", "zh")).click()
    wait_for_app(page)
    page.get_by_role("button", name=t("access.signout", "zh")).wait_for()
    title = t("trust_access.page_title", "zh")
    page.wait_for_function(f"() => document.title === {title!r}")  # was "CEM Dashboard" in every language


# Every title the tab takes, with when it took it (ms since the document started), from the first moment.
_TITLES = """
window.__titles = [[performance.now(), document.title]];
new MutationObserver(() => {
  const last = window.__titles[window.__titles.length - 1][1];
  if (document.title !== last) window.__titles.push([performance.now(), document.title]);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_sign_in_screen_tab_title_in_both_languages(live_app, page, demo_sqlite_url: str, tmp_path) -> None:
    """The tab of the sign-in screen carries the product's name in the UI's language, from the first visit
    to a freshly started server on. It read "app": a server's first run starts in Streamlit's pages-folder
    mode, which titles the tab after the router's file until the router sets the title, and the router
    did that only after imports that take seconds on a cold start (``ui.language.title_tab``)."""
    page.add_init_script(_TITLES)
    url = live_app(private_copy(demo_sqlite_url, tmp_path), CEM_LANGUAGE="zh")
    zh, en = t("trust_access.page_title", "zh"), t("trust_access.page_title", "en")
    page.goto(url)
    wait_for_app(page)
    page.get_by_text(t("trust_access.demo_title", "zh")).wait_for()  # the demo's sign-in screen
    assert page.title() == zh
    titles = page.evaluate("window.__titles")
    # A title named after a file shows for a moment at most (the next message sets ours), not for the
    # seconds the router's imports take.
    held = [(later[0] - at, title) for (at, title), later in zip(titles, [*titles[1:], [titles[-1][0], ""]],
                                                                     strict=True) if title not in (zh, "Streamlit")]
    assert all(ms < 1000 for ms, _title in held), titles
    page.get_by_text("English", exact=True).click()
    wait_for_app(page)
    page.get_by_text(t("trust_access.demo_title", "en")).wait_for()
    page.wait_for_function(f"() => document.title === {en!r}")
    assert page.title() == en
