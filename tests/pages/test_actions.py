"""The Actions page under AppTest for each role, on a copy of the demo database (it writes)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cem_core.act.calendar import load_calendar
from cem_core.act.rules import _calendar
from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.demo.generator import load_demo
from cem_core.i18n import t
from tests.pages_harness import open_page, point_app_at

PAGE = "pages/actions.py"
DEMO_ROWS = 6000  # as the shared demo database (tests/conftest.py)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_db(request: pytest.FixtureRequest, demo_sqlite_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The demo data the app writes to: a copy of the shared SQLite demo, or a fresh Postgres database
    with the same demo rows."""
    if request.param == "sqlite":
        copy = tmp_path / "demo.db"
        shutil.copy(demo_sqlite_url.split("///", 1)[1], copy)
        key = Path(demo_sqlite_url.split("///", 1)[1] + ".pii_key")
        if key.exists():
            shutil.copy(key, tmp_path / "demo.db.pii_key")
        url = f"sqlite:///{copy}"
        engine = make_engine(url)
    else:
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        migrate(engine)
        load_demo(engine, rows=DEMO_ROWS)
    point_app_at(monkeypatch, url)
    yield engine
    engine.dispose()


def tabs(at) -> list[str]:
    return [tab.label for tab in at.tabs]


def test_admin_sees_every_tab_unmasked(app_db: Engine) -> None:
    at = open_page(PAGE, User("boss", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    keys = ("act.tab.figures", "act.tab.items", "act.tab.excel", "act.tab.improvements", "act.tab.rules",
            "act.tab.calendar")
    assert tabs(at) == [t(k, "en") for k in keys]
    assert t("act.fig.closure_rate", "en") in [m.label for m in at.metric]
    with app_db.connect() as conn:
        viewed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'view_unmasked'")).scalar_one()
    assert viewed >= 1  # the unmasked work list was audited


@pytest.mark.parametrize("role", ["executive", "analyst", "dept_lead"])
def test_roles(app_db: Engine, role: str) -> None:
    user = User(f"u_{role}", role, ("operations",) if role == "dept_lead" else ())
    at = open_page(PAGE, user)
    assert not at.exception, [e.value for e in at.exception]
    if role == "executive":
        assert tabs(at) == [t("act.tab.figures", "en")]
        frames = [str(df.value.columns.tolist()) for df in at.dataframe]
        assert not any(t("act.col.name", "en") in f or t("act.col.comment", "en") in f for f in frames)
        assert not at.selectbox or all(s.key != "act_item" for s in at.selectbox)
        return
    items = next(df.value for df in at.dataframe if t("act.col.comment", "en") in df.value.columns)
    names = items[t("act.col.name", "en")].dropna()
    assert len(names) and names.str.contains(r"\*").all()  # masked for roles without unmask_pii
    forms = [b.label for b in at.button]
    if role == "analyst":
        assert t("act.tab.rules", "en") in tabs(at) and t("act.save", "en") not in forms  # reads, cannot work items
    if role == "dept_lead":
        assert set(items[t("act.col.department", "en")]) == {"Operations"}
        assert t("act.tab.rules", "en") not in tabs(at)


def test_dept_lead_changes_a_status_and_the_figures_move(app_db: Engine) -> None:
    lead = User("ops_lead", "dept_lead", ("operations",))
    at = open_page(PAGE, lead)
    closure_before = {m.label: m.value for m in at.metric}[t("act.fig.closure_rate", "en")]
    with app_db.connect() as conn:
        open_ids = [r[0] for r in conn.execute(text(
            "SELECT i.id FROM action_items i JOIN departments d ON d.id = i.department_id "
            "WHERE d.code = 'operations' AND i.status = 'in_progress' ORDER BY i.id"))]
    item = next(i for i in open_ids if i in at.selectbox(key="act_item").options or str(i) in
                at.selectbox(key="act_item").options)
    at.selectbox(key="act_item").set_value(item).run()
    at.selectbox(key=f"act_status_{item}").set_value("resolved")
    at.selectbox(key=f"act_cause_{item}").set_value("process")
    at.text_area(key=f"act_note_{item}").set_value("流程已调整")
    next(b for b in at.button if b.label == t("act.save", "en")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("act.saved", "en", item=item) in [s.value for s in at.success]
    with app_db.connect() as conn:
        status, actor = conn.execute(text("SELECT status, updated_by FROM action_items WHERE id = :i"),
                                     {"i": item}).one()
        audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'action_change' "
                                    "AND target = :t"), {"t": f"action:{item}"}).scalar_one()
    assert (status, actor, audited) == ("resolved", "ops_lead", 1)
    closure_after = {m.label: m.value for m in at.metric}[t("act.fig.closure_rate", "en")]
    assert closure_after != closure_before


def test_admin_configures_the_working_calendar(app_db: Engine) -> None:
    at = open_page(PAGE, User("boss", "admin"))
    assert t("act.tab.calendar", "en") in tabs(at)
    at.time_input(key="act_cal_end").set_value(dt.time(17, 0))
    at.text_area(key="act_cal_holidays").set_value("2026-03-09\n2026-03-10")
    at.text_area(key="act_cal_workdays").set_value("2026-03-08")
    next(b for b in at.button if b.label == t("act.cal.save", "en")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("act.cal.saved", "en", hours="8.0") in [s.value for s in at.success]
    saved = load_calendar(app_db)
    assert (saved.end, saved.extra_holidays, saved.extra_workdays) == (
        dt.time(17, 0), {dt.date(2026, 3, 9), dt.date(2026, 3, 10)}, {dt.date(2026, 3, 8)})
    with app_db.connect() as conn:
        audited = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'act_calendar'")).scalars().all()
    assert len(audited) == 1 and '"17:00"' in audited[0] and '"18:00"' in audited[0]  # old and new
    # the routing rules compute due times on the stored calendar: Fri 16:00 + 4 working hours skips the
    # weekend but works Sunday the 8th (extra workday) from 09:00
    with app_db.connect() as conn:
        assert _calendar(conn).add(dt.datetime(2026, 3, 6, 16), 4, working=True) == dt.datetime(2026, 3, 8, 12)
    # a bad date is refused by name and changes nothing
    at.text_area(key="act_cal_holidays").set_value("2026-13-01")
    next(b for b in at.button if b.label == t("act.cal.save", "en")).click().run()
    assert t("act.cal.err.date", "en", value="2026-13-01") in [e.value for e in at.error]
    assert load_calendar(app_db) == saved


def test_calendar_page_in_chinese_and_hidden_from_leads(app_db: Engine) -> None:
    at = open_page(PAGE, User("boss", "admin"), lang="zh")
    assert not at.exception, [e.value for e in at.exception]
    assert t("act.tab.calendar", "zh") in tabs(at)
    assert any(b.label == t("act.cal.save", "zh") for b in at.button)
    lead = open_page(PAGE, User("ops_lead", "dept_lead", ("operations",)))
    assert t("act.tab.calendar", "en") not in tabs(lead)


def test_overview_card_for_a_lead(app_db: Engine) -> None:
    """The overview's close-the-loop card (the figures cached in ``ui.act_card``, of the overview's period)."""
    overview = open_page(None, User("ops_lead", "dept_lead", ("operations",)))
    assert not overview.exception, [e.value for e in overview.exception]
    assert t("act.card.title", "en") in [h.value for h in overview.subheader]
    card = {m.label: m.value for m in overview.metric}
    assert card[t("act.fig.closure_rate", "en")].endswith("%")
