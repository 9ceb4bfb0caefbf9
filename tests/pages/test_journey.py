"""The journey page under AppTest on the demo set: every view, options, a clicked touchpoint's detail,
the customer story masked per role (and audited unmasked), the template editor for admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from cem_core.analyze.drilldown import Drill
from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.db.models import ActionItem, AuditEntry, Customer, Department
from cem_core.ingest.load import import_file
from cem_core.journey import templates as tpl
from cem_core.ui.chart_kit import DRILL
from tests.fixtures.ingest_files import write_csv
from tests.pages_harness import assert_clean, open_page, open_tab, point_app_at

ADMIN = User("admin", "admin", display_name="Admin")
ANALYST = User("ana", "analyst", display_name="Analyst")
LEAD = User("lead", "dept_lead", departments=("operations",), display_name="Lead")
PAGE = "pages/journey.py"


@pytest.fixture(autouse=True)
def _app(seeded_app: str) -> None:
    """Every test here runs the app on the shared demo database."""


def _tab(at, label: str):
    return open_tab(at, "jr_tab", label)


def _charts(at) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_map_is_the_first_view(lang: str) -> None:
    at = open_page(PAGE, ANALYST, lang)
    assert_clean(at)
    assert at.title[0].value in ("Customer journey", "客户旅程")
    assert _charts(at) == 1
    assert any("–" in c.value or "sentiment" in c.value or "情感" in c.value for c in at.caption)


def test_every_view_and_option() -> None:
    at = open_page(PAGE, ANALYST, "en")
    at.session_state["jr_map_measure"] = "csat"
    at.run()
    assert_clean(at)
    assert _charts(at) == 1
    _tab(at, "Emotion curve")
    assert _charts(at) == 1
    assert any(c.value.startswith("Lowest points:") for c in at.caption)
    for level in ("stage", "touchpoint"):
        at.session_state["jr_curve_level"] = level
        at.run()
        assert_clean(at)
    for compare in ("segment", "period"):
        at.session_state["jr_compare"] = compare
        at.run()
        assert_clean(at)
        assert _charts(at) == 1
    _tab(at, "Peak-end")
    assert at.metric[1].value == "Peak-end index"
    assert any("predicts the customers' overall rating best" in m.value for m in at.markdown)
    assert _charts(at) == 4
    at.session_state["jr_pe_measure"] = "nps"
    at.run()
    assert_clean(at)
    _tab(at, "One customer")
    assert "Journey template" not in [t.label for t in at.tabs]


def test_clicked_touchpoint_shows_histogram_and_responses() -> None:
    at = open_page(PAGE, ANALYST, "en")
    at.session_state[DRILL] = ("jmap", Drill(dims=(("touchpoint", 5),)))
    at.run()
    assert_clean(at)
    assert _charts(at) == 2  # the map and the touchpoint's histogram
    assert any("matching responses" in c.value for c in at.caption)
    assert at.dataframe


def _customer(engine_url: str) -> tuple[int, str, str]:
    engine = make_engine(engine_url)
    with engine.connect() as conn:
        row = conn.execute(select(Customer.id, Customer.customer_key, Customer.phone).order_by(Customer.id)).first()
    engine.dispose()
    return row


def _audits(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = len(conn.execute(select(AuditEntry.id).where(AuditEntry.action == "view_unmasked",
                                                         AuditEntry.target.like("journey:customer:%"))).all())
    engine.dispose()
    return n


def _story(who: User, kind: str, value: str):
    """The customer tab of ``who`` after looking a customer up (checked clean)."""
    at = open_page(PAGE, who, "en")
    _tab(at, "One customer")
    at.session_state["jr_cust_kind"] = kind
    at.session_state["jr_cust_value"] = value
    at.run()
    assert_clean(at)
    return at


def test_customer_story_masks_per_role(seeded_app: str) -> None:
    _, key, phone = _customer(seeded_app)
    at = _story(ANALYST, "phone", phone)
    shown = " ".join(str(x.value) for x in at.text)
    assert phone not in shown and phone[-4:] in shown
    assert any("masked" in c.value for c in at.caption)
    frames = at.dataframe
    assert frames and len(frames[-1].value) >= 1
    before = _audits(seeded_app)
    assert before == 0

    admin = open_page(PAGE, ADMIN, "en")
    _tab(admin, "One customer")
    admin.session_state["jr_cust_kind"] = "id"
    admin.session_state["jr_cust_value"] = key
    admin.run()
    assert_clean(admin)
    assert phone in " ".join(str(x.value) for x in admin.text)
    assert _audits(seeded_app) == 1
    admin.run()  # a rerun does not log the same view again
    assert _audits(seeded_app) == 1


def test_customer_not_found() -> None:
    at = open_page(PAGE, ANALYST, "en")
    _tab(at, "One customer")
    at.session_state["jr_cust_value"] = "nobody-here"
    at.run()
    assert_clean(at)
    assert at.warning[0].value == "No customer found."


def test_template_tab_for_admins() -> None:
    at = open_page(PAGE, ADMIN, "en")
    _tab(at, "Journey template")
    assert at.dataframe and any(s.value == "History" for s in at.subheader)


def test_department_lead_sees_the_page_scoped() -> None:
    at = open_page(PAGE, LEAD, "en")
    assert_clean(at)
    assert _charts(at) == 1


def test_access_refused_without_analysis() -> None:
    """Not in an uploader's navigation, and the page script itself refuses a typed URL."""
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
    at.session_state["user"] = User("up", "uploader")
    at.session_state["lang"] = "en"
    at.session_state["_router_ran"] = True
    at.run()
    assert [e.value for e in at.error] == ["You do not have permission to view this page."] and not at.title


def test_admin_maps_an_unmatched_name_on_the_page(tmp_path, monkeypatch) -> None:
    """A file with an unknown stage: listed on the template tab, mapped with one click, then gone."""
    url = f"sqlite:///{tmp_path / 'map.db'}"
    engine = make_engine(url)
    migrate(engine)
    tpl.install_template(engine, "hotel", "admin")
    import_file(engine, write_csv(tmp_path / "a.csv", ["日期", "满意度", "旅程阶段"],
                                  [["2025-03-01", "4", "售后回访"], ["2025-03-02", "2", "售后回访"]]), user="u")
    point_app_at(monkeypatch, url)
    at = open_page(PAGE, ADMIN, "en")
    _tab(at, "Journey template")
    assert any(x.value == "Stage “售后回访”: 2 responses" for x in at.text)
    next(b for b in at.button if b.label == "Map and remember").click().run()
    assert_clean(at)
    assert any(c.value == "No names to map." for c in at.caption)
    assert tpl.unmapped(engine, "en").empty
    engine.dispose()


def test_customer_story_lists_their_action_items(seeded_app: str) -> None:
    """A customer whose feedback raised items of several departments: the story lists them (department,
    status, due, root cause); a department lead sees only their departments' items."""
    engine = make_engine(seeded_app)
    with engine.connect() as conn:
        pairs = conn.execute(select(Customer.customer_key, Department.code)
                             .join(ActionItem, ActionItem.customer_id == Customer.id)
                             .join(Department, Department.id == ActionItem.department_id)).all()
    engine.dispose()
    codes: dict[str, list[str]] = {}
    for k, code in pairs:
        codes.setdefault(k, []).append(code)
    key = min(k for k, cs in codes.items() if len(set(cs)) > 1 and set(cs) & set(LEAD.departments))
    rows = [(key, code) for code in codes[key]]
    seen = {}
    for who in (ANALYST, LEAD):
        at = _story(who, "id", key)
        assert any(s.value == "Action items" for s in at.subheader)
        frames = [d.value for d in at.dataframe if "Root cause" in d.value.columns]
        assert {"Department", "Status", "Due", "Root cause"} <= set(frames[0].columns)
        seen[who.username] = len(frames[0])
    assert seen["ana"] == len(rows)
    assert seen["lead"] == sum(code in LEAD.departments for _, code in rows) < len(rows)
