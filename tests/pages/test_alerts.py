"""The alerts page under AppTest: an alert is listed with its figures, opening it sets the filters that show
it, the sidebar title counts unread alerts, an admin saves a rule, a non-recipient sees nothing."""

from __future__ import annotations

import pytest

from cem_core.alerts.evaluate import evaluate
from cem_core.alerts.inbox import unread_count
from cem_core.alerts.rules import Rule, list_rules, save_rule
from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from tests.alerts_data import AS_OF, WINDOW, load_planted
from tests.pages_harness import open_page, point_app_at

ADMIN = User("admin", "admin", display_name="Admin")
LEAD = User("lead", "dept_lead", departments=("service",))
OTHER = User("other", "dept_lead", departments=("sales",))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def planted_app(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The app on a database with the planted drop and one fired alert, once on SQLite, once on Postgres."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    migrate(engine)
    load_planted(engine)
    save_rule(engine, Rule("segments", dimension="segment", window_days=WINDOW, departments=("service",)), "admin")
    assert len(evaluate(engine, AS_OF)) == 1
    point_app_at(monkeypatch, url)
    yield engine
    engine.dispose()


def test_alert_listed_and_opens_its_filtered_view(planted_app):
    at = open_page("pages/alerts.py", LEAD)
    assert not at.exception, [e.value for e in at.exception]
    texts = [t.value for t in at.text]
    assert any("tp_drop" in t and "50.0 -> -10.0" in t for t in texts), texts
    assert unread_count(planted_app, LEAD) == 1
    at.button(key=next(b.key for b in at.button if str(b.key).startswith("alert_open_"))).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["flt_segments"] == ["tp_drop"]
    assert unread_count(planted_app, LEAD) == 0


def test_non_recipient_sees_no_alert(planted_app):
    at = open_page("pages/alerts.py", OTHER)
    assert not at.exception and unread_count(planted_app, OTHER) == 0
    assert any("No alerts" in i.value for i in at.info)


def test_admin_saves_a_rule_and_sees_the_delivery_tab(planted_app):
    at = open_page("pages/alerts.py", ADMIN, "zh")
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="rule_name").input("渠道 CSAT")
    at.selectbox(key="rule_measure").select("csat")
    at.selectbox(key="rule_dimension").select("channel")
    at.button[[b.label for b in at.button].index("保存规则")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [(r.name, r.measure, r.dimension) for r in list_rules(planted_app)][-1] == ("渠道 CSAT", "csat", "channel")
