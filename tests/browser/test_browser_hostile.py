"""In a real browser: user text in Markdown-rendering widgets shows as text (no emoji, no link), and a
hostile upload gets a message, never a traceback."""

from __future__ import annotations

from pathlib import Path

from cem_core.db import make_engine, migrate
from cem_core.ingest.load import import_file
from tests.browser_harness import sign_in, wait_for_app
from tests.fixtures import hostile_files as hf

EVIL = "demo:hotel:[x](http://evil.example)*bold*.csv"
ADMIN = {"CEM_DEMO_ROWS": "0", "CEM_LANGUAGE": "en", "CEM_ADMIN_USER": "boss",
         "CEM_ADMIN_PASSWORD": "correct horse battery"}


def test_file_names_show_as_text_in_labels(live_app, page, sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    data = "日期,推荐度\n2024-03-05,9\n".encode()
    assert import_file(engine, data, EVIL, user="boss").status == "done"
    engine.dispose()
    url = live_app(sqlite_url, **ADMIN)
    page.goto(f"{url}/imports")
    wait_for_app(page)
    sign_in(page, "boss", "correct horse battery")
    label = page.locator("[data-testid='stCheckbox']").first
    label.wait_for()
    shown = label.inner_text().replace("\u2060", "")
    assert EVIL in shown  # every character as typed: no emoji for :hotel:, no link, no emphasis
    assert label.locator("a").count() == 0 and label.locator("em").count() == 0
    assert "🏨" not in shown


def test_hostile_upload_gets_a_message_not_a_traceback(live_app, page, sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    engine.dispose()
    deep = hf.deep_json(tmp_path / "deep.json")
    url = live_app(sqlite_url, **ADMIN)
    page.goto(f"{url}/upload")
    wait_for_app(page)
    sign_in(page, "boss", "correct horse battery")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(deep))
    wait_for_app(page)
    page.get_by_text("nested deeper than the limit of 64 levels").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
