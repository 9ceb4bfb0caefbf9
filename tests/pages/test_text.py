"""The Text page and the Text settings page under AppTest: every control used once on the demo data,
comments of a term masked per role with the term highlighted and user Markdown made inert."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cem_core.auth.roles import User
from cem_core.ingest.load import import_file
from tests.pages_harness import assert_clean, open_page, point_app_at

ADMIN = User("admin", "admin", display_name="Admin")
ANALYST = User("ana", "analyst", display_name="Analyst")
VIEWER = User("vic", "viewer", display_name="Viewer")
PAGE = "pages/text.py"


def _set(at, key: str, value: object) -> None:
    at.session_state[key] = value
    at.run()
    assert_clean(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_control_on_the_demo(seeded_app: str, lang: str) -> None:
    at = open_page(PAGE, ANALYST, lang)
    assert_clean(at)
    assert at.title[0].value in ("Text analytics", "文本分析")
    assert len(at.get("image")) == 1  # the word cloud
    _set(at, "tx_sent", "negative")
    _set(at, "tx_bigrams", True)
    _set(at, "tx_sent", "positive")
    _set(at, "tx_bigrams", False)
    _set(at, "tx_term", "前台")
    assert any("前台" in s.value for s in at.subheader)
    comments = [m.value for m in at.markdown if ":orange-background[**" in m.value]
    assert comments and all("前台" in c for c in comments)
    assert any("masked" in c.value or "脱敏" in c.value for c in at.caption)
    at.number_input(key="tx_page").set_value(2).run()
    assert_clean(at)
    at.button(key="tx_term_close").click().run()
    assert_clean(at)
    _set(at, "tx_tab", "topics")
    assert len(at.get("vega_lite_chart")) == 2
    _set(at, "tx_level", 1)
    _set(at, "tx_tab", "trends")
    for dim in ("channel", "touchpoint", "stage"):
        _set(at, "tx_dim", dim)
        assert len(at.get("vega_lite_chart")) == 2


def test_demo_shows_costliest_topics(seeded_app: str) -> None:
    at = open_page(PAGE, ADMIN, "en")
    _set(at, "tx_tab", "topics")
    assert any("Topics costing the most NPS" in m.value for m in at.markdown)


def test_comment_markdown_is_inert_and_admin_sees_unmasked(sqlite_engine: Engine, tmp_path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    csv = tmp_path / "evil.csv"
    csv.write_text("date,nps,comment\n"
                   "2026-01-05,1,前台太慢 [点我](http://evil.example) ![x](http://evil.example/p.png) "
                   "电话13812345678\n",
                   encoding="utf-8")
    assert import_file(sqlite_engine, csv, user="t").status == "done"
    point_app_at(monkeypatch, str(sqlite_engine.url))
    for user, phone_visible in ((ANALYST, False), (ADMIN, True)):
        at = open_page(PAGE, user, "zh")
        _set(at, "tx_term", "前台")
        shown = [m.value for m in at.markdown if ":orange-background[**" in m.value]
        assert len(shown) == 1
        assert "](" not in shown[0] and "\\[点我\\]" in shown[0] and "\\!\\[x\\]" in shown[0]
        assert ("13812345678" in shown[0]) is phone_visible


def test_viewer_without_permission_is_refused(seeded_app: str) -> None:
    at = open_page(PAGE, VIEWER, "en")
    assert not any(t.value == "Text analytics" for t in at.title)


def test_text_settings_save_and_rebuild(sqlite_engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cem_core.demo.generator import load_demo

    load_demo(sqlite_engine, rows=600, seed=9)
    point_app_at(monkeypatch, str(sqlite_engine.url))
    at = open_page("pages/text_settings.py", ADMIN, "en")
    assert_clean(at)
    at.text_area(key="tx_set_stop").set_value("前台\nfront desk")
    at.text_area(key="tx_set_lex").set_value("风控 -1.5")
    at.text_area(key="tx_set_syn").set_value("会员: VIP会员, 金卡会员")
    at.text_input(key="tx_set_note").set_value("drop front desk")
    at.button[0].click().run()  # the form's submit button
    assert_clean(at)
    assert any("Saved version 1" in s.value for s in at.success)
    assert any("stored comments" in i.value for i in at.info)
    assert at.warning  # comments analysed with version 0 are stale now
    at.button(key="tx_rebuild").click().run()
    assert_clean(at)
    assert any("Re-analysed" in s.value for s in at.success)
    at.text_input(key="tx_try").set_value("又被风控了").run()
    assert any("Negative" in m.value for m in at.markdown)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not offered to an analyst
        open_page("pages/text_settings.py", ANALYST, "en")
