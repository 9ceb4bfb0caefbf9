"""A topic spike is named by its translated topic name, never its code: in the in-app list, in every
message a bot or mailbox receives, and in the executive report's alerts section, in zh and en."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from cem_core.alerts.deliver import Retry
from cem_core.alerts.rules import Rule, save_rule
from cem_core.alerts.run import run_alerts
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.db.models import Alert
from cem_core.reports.executive import build_report
from cem_core.text.settings import active_config_of
from cem_core.text.topics import Taxonomy
from tests.alerts.test_deliver import Bot
from tests.alerts_data import AS_OF, WINDOW, load_text_spike
from tests.pages_harness import assert_clean, open_page, point_app_at

FAST = Retry(attempts=1, first_wait_s=0.01)


def _topic_alerts(engine: Engine, bot: Bot, lang: str) -> dict[str, dict[str, str]]:
    """Fire the topic rule through a WeCom bot and a generic webhook; topic code -> its names."""
    load_text_spike(engine)
    save_rule(engine, Rule("topics", measure="topic", window_days=WINDOW, min_n=30,
                           channels=({"kind": "wecom", "url": bot.url}, {"kind": "webhook", "url": bot.url})), "admin")
    assert run_alerts(engine, AS_OF, lang, FAST)
    with engine.connect() as conn:
        codes = conn.execute(select(Alert.dim_key).where(Alert.dimension == "topic")).scalars().all()
    assert codes
    tax = Taxonomy(active_config_of(engine).topics)
    return {code: {"zh": tax.names("zh")[code], "en": tax.names("en")[code]} for code in codes}


def shows_code(text: str, code: str) -> bool:
    """Whether a message names the topic by its code, where the templates put the name."""
    return any(f"{a}{code}{b}" in text for a, b in (("：", "\n"), (": ", "\n"), ("（", "）"), ("(", ")"))) \
        or text.endswith((f"：{code}", f": {code}"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_messages_and_report_name_the_topic(engine: Engine, lang: str) -> None:
    bot = Bot()
    try:
        names = _topic_alerts(engine, bot, lang)
    finally:
        bot.close()
    wecom = [b["markdown"]["content"] for _, b in bot.received if "markdown" in b]
    hooks = [b for _, b in bot.received if "alert" in b]
    assert len(wecom) == len(hooks) == len(names)
    for code, name in names.items():
        assert code != name[lang]
        assert any(name[lang] in text for text in wecom), (name, wecom)
        assert any(h["alert"]["where"] == name[lang] and h["alert"]["dim_key"] == code for h in hooks)
    assert not any(shows_code(text, code) for text in wecom for code in names), wecom
    report = build_report(engine, Filters(), lang)
    assert report is not None
    titles = " ".join(report.alerts["title"])
    assert all(name[lang] in titles for name in names.values()), titles


def test_in_app_list_names_the_topic(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    bot = Bot()
    try:
        names = _topic_alerts(engine, bot, "zh")
    finally:
        bot.close()
    point_app_at(monkeypatch, sqlite_url)
    for lang in ("zh", "en"):
        at = open_page("pages/alerts.py", User("admin", "admin"), lang=lang)
        assert_clean(at)
        titles = [el.value for el in at.text]
        for code, name in names.items():
            assert any(name[lang] in v for v in titles), (name, titles)
            assert not any(shows_code(v, code) for v in titles for code in names), titles
    engine.dispose()
