"""Every role x every page: navigation offers exactly the allowed pages, which render; denied pages stay shut
whether reached through the router or run directly. A department lead sees and exports only their rows.

Expectations come from ``PageSpec.permission`` and ``PERMISSIONS``, so pages added later are covered too.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from cem_core.analyze.drilldown import Drill, drill_export
from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import PERMISSIONS, ROLES, User
from cem_core.auth.start_token import start_token
from cem_core.auth.users import create_user, get_user, update_user
from cem_core.db import make_engine, migrate
from cem_core.db.models import AuditEntry, Customer, Department, Response, Touchpoint
from cem_core.export import to_xlsx_bytes
from cem_core.i18n import t
from cem_core.privacy.masking import mask_frame
from cem_core.ui.nav import PAGES
from tests.pages_harness import open_page

DENIED = {t("core.access_denied", "en")}


def _dept_of_most_touchpoints(engine: Engine) -> str:
    d, tp = Department.__table__, Touchpoint.__table__
    with engine.connect() as conn:
        return conn.execute(select(d.c.code).join(tp, tp.c.department_id == d.c.id).group_by(d.c.code)
                            .order_by(func.count().desc(), d.c.code).limit(1)).scalar_one()


@pytest.fixture(scope="module")
def dept(demo_engine: Engine) -> str:
    return _dept_of_most_touchpoints(demo_engine)


def _user(role: str, dept: str) -> User:
    return User(f"test_{role}", role, (dept,) if role == "dept_lead" else (), f"Test {role}")


@pytest.fixture(autouse=True)
def _app(seeded_app: str) -> None:
    """Every test here runs the app on the shared demo database."""


def _navigation(at: AppTest) -> set[str]:
    return {str(Path(str(info["script_path"])).resolve()) for info in at._registered_pages.values()
            if info.get("script_path")}


@pytest.mark.parametrize("role", ROLES)
def test_navigation_offers_exactly_the_allowed_pages(role: str, dept: str) -> None:
    at = open_page(None, _user(role, dept))
    assert not at.exception, [e.value for e in at.exception]
    expected = {str(Path(p.abspath).resolve()) for p in PAGES if p.permission in PERMISSIONS[role]}
    assert expected and _navigation(at) == expected


@pytest.mark.parametrize("page", [p for p in PAGES], ids=lambda p: p.url_path)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_page(role: str, page, dept: str) -> None:
    user = _user(role, dept)
    if page.permission in PERMISSIONS[role]:
        at = open_page(page.path, user)
        assert not at.exception, [e.value for e in at.exception]
        assert not [e for e in at.error if e.value in DENIED]
        assert at.title, f"{page.path} renders for {role}"
        return
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(page.path, user)  # the router never registers it: a typed URL cannot reach it
    direct = AppTest.from_file(page.abspath, default_timeout=60)  # the page's own guard, without the router
    direct.session_state["user"] = user
    direct.session_state["lang"] = "en"
    direct.run()
    assert [e.value for e in direct.error] == [t("core.access_denied", "en")]
    assert not direct.title and not direct.dataframe and not direct.metric


def test_signed_out_visitor_sees_only_the_sign_in_screen() -> None:
    at = open_page(None, None)
    assert not at.exception
    # No real user yet in this demo database: the (start-token protected) setup screen, demo beside it.
    assert [x.value for x in at.title] == [t("access.setup_title", "en")]
    # Signed out, every address (kept for after sign-in) shows the sign-in screen and nothing else.
    assert not at.metric and {p["page_name"] for p in at._registered_pages.values()} == {
        t("access.signin_title", "en")}
    with pytest.raises(ValueError):
        open_page(PAGES[0].path, None)


def _dept_rows(engine: Engine, code: str, date_from, date_to) -> int:
    r, tp, d = Response.__table__, Touchpoint.__table__, Department.__table__
    joined = r.join(tp, tp.c.id == r.c.touchpoint_id).join(d, d.c.id == tp.c.department_id)
    stmt = select(func.count()).select_from(joined).where(d.c.code == code,
                                                          r.c.occurred_date.between(date_from, date_to))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def test_department_lead_sees_only_their_departments_rows(demo_engine: Engine, dept: str) -> None:
    window = build_overview(demo_engine, Filters(), "en")
    lead = open_page(None, _user("dept_lead", dept))
    admin = open_page(None, _user("admin", dept))
    shown = int({m.label: m.value for m in lead.metric}["Responses"].replace(",", ""))
    everyone = int({m.label: m.value for m in admin.metric}["Responses"].replace(",", ""))
    assert shown == _dept_rows(demo_engine, dept, window.date_from, window.date_to)
    assert 0 < shown < everyone


def test_department_lead_exports_only_their_rows_masked(demo_engine: Engine, dept: str) -> None:
    lead = _user("dept_lead", dept)
    f = Filters(departments=lead.scope)  # what ``current_filters`` gives this user's session
    frame = drill_export(demo_engine, f, Drill(), unmask=lead.can("unmask_pii"), lang="en", limit=100_000)
    lo, hi = frame["occurred_at"].min().date(), frame["occurred_at"].max().date()
    assert len(frame) == _dept_rows(demo_engine, dept, lo, hi) > 0
    book = pd.read_excel(io.BytesIO(to_xlsx_bytes({"rows": frame})), dtype=str, engine="calamine")
    assert len(book) == len(frame)
    phones = book["phone"].dropna()
    assert len(phones) and phones.str.fullmatch(r"\d{3}\*{4}\d{4}").all()


@pytest.mark.parametrize("role", ROLES)
def test_exports_are_masked_unless_the_role_may_unmask(role: str, dept: str) -> None:
    user = _user(role, dept)
    frame = pd.DataFrame({"name": ["李四"], "phone": ["13912345678"], "email": ["lisi@example.com"],
                          "comment": ["电话 13912345678"]})
    exported = to_xlsx_bytes({"x": mask_frame(frame, unmask=user.can("unmask_pii"))})
    book = pd.read_excel(io.BytesIO(exported), dtype=str, engine="calamine")
    clear = "13912345678" in book.to_string()
    assert clear == (role == "admin")
    if not clear:
        assert book.loc[0].tolist() == ["李*", "139****5678", "lis****@example.com", "电话 139****5678"]


@pytest.fixture
def fresh_app(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An empty database with no demo data: the real sign-in gate, no demo users."""
    monkeypatch.setenv("CEM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CEM_LANGUAGE", "en")  # AppTest calls a widget's format_func outside the session
    engine = make_engine(sqlite_url)
    migrate(engine)
    return engine


def _run_router(at: AppTest) -> AppTest:
    """Run app.py itself: AppTest otherwise reruns only the page a previous run finished on."""
    at._page_hash = at._finished_page_script_hash = ""
    return at.run()


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_user").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()
    _run_router(at)
    if "user" in at.session_state:
        assert "signin_password" not in at.session_state  # no clear password kept in the session
        _run_router(at)  # once more, so widget ids belong to the page now shown (an AppTest artefact)
    return at  # once more, so widget ids belong to the page now shown (an AppTest artefact)


def test_setup_screen_creates_the_first_admin(fresh_app: Engine) -> None:
    at = open_page(None, None)
    assert [x.value for x in at.title] == [t("access.setup_title", "en")]
    at.text_input(key="setup_token").input(start_token())  # printed to the server's terminal
    at.text_input(key="setup_user").input("Owner")
    for key in ("setup_password", "setup_repeat"):
        at.text_input(key=key).input("Owner-Pass-2026")
    at.button[0].click()
    at.run()
    assert at.session_state["user"] == User("owner", "admin", (), "Owner")
    assert str(Path(PAGES[0].abspath)) in _navigation(at)
    assert get_user(fresh_app, username="owner").has_password


def test_sign_in_sign_out_expiry_and_disabling(fresh_app: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_ADMIN_USER", "boss")
    monkeypatch.setenv("CEM_ADMIN_PASSWORD", "Boss-Pass-2026")
    at = open_page(None, None)
    assert [x.value for x in at.title] == [t("access.signin_title", "en")]
    assert not at.table  # no demo users outside demo mode
    _sign_in(at, "boss", "wrong-password")
    assert [e.value for e in at.error] == [t("access.bad_credentials", "en")] and "user" not in at.session_state
    _sign_in(at, "boss", "Boss-Pass-2026")
    assert at.session_state["user"].role == "admin" and not at.exception
    at.button(key="signout").click()
    _run_router(at)
    assert "user" not in at.session_state and [s.value for s in at.success] == [t("access.signed_out", "en")]

    create_user(fresh_app, username="ann", role="analyst", password="Analyst-Pass-1", actor="boss")
    _sign_in(at, "ann", "Analyst-Pass-1")
    assert at.session_state["user"].role == "analyst"
    at.session_state["auth_at"] = at.session_state["auth_at"] - 13 * 3600  # past the 12 h default lifetime
    _run_router(at)
    assert "user" not in at.session_state and [w.value for w in at.warning] == [t("access.expired", "en")]

    _sign_in(at, "ann", "Analyst-Pass-1")
    update_user(fresh_app, username="ann", disabled=True, actor="boss")  # takes effect at the next click
    _run_router(at)
    assert "user" not in at.session_state and [w.value for w in at.warning] == [t("access.disabled", "en")]
    actions = [a for (a,) in fresh_app.connect().execute(select(AuditEntry.__table__.c.action))]
    assert {"sign_in", "sign_in_failed", "sign_out", "session_expired", "user_disable"} <= set(actions)


@pytest.fixture
def small_demo(fresh_app: Engine) -> Engine:
    from cem_core.demo.generator import load_demo

    load_demo(fresh_app, rows=300)
    return fresh_app


ADMIN = User("root", "admin", (), "Root")


def test_privacy_page_deletes_a_customer(small_demo: Engine) -> None:
    c = Customer.__table__.c
    with small_demo.connect() as conn:
        cid, email, phone = conn.execute(select(c.id, c.email, c.phone).where(c.email.like("%@%")).limit(1)).one()
    at = open_page("pages/privacy.py", ADMIN)
    at.radio(key="privacy_kind").set_value("email")
    at.text_input(key="privacy_value").input(email.upper())
    at.button[0].click()
    at.run()
    shown = at.dataframe[0].value
    assert len(shown) == 1 and phone not in shown.to_string() and email not in shown.to_string()  # masked
    assert at.button(key="privacy_delete").disabled  # nothing happens before the confirmation
    at.checkbox(key="privacy_confirm").check()
    at.run()
    at.button(key="privacy_delete").click()
    at.run()
    assert not at.exception and at.success and at.success[0].value.startswith("Deleted 1 customer(s)")
    with small_demo.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Customer.__table__).where(c.id == cid)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(Response.__table__).where(
            Response.__table__.c.customer_id == cid)).scalar() == 0


def test_users_page_creates_a_department_lead(small_demo: Engine) -> None:
    code = _dept_of_most_touchpoints(small_demo)
    at = open_page("pages/users.py", ADMIN)
    at.text_input(key="new_username").input("Lead.One")
    at.selectbox(key="new_role").set_value("dept_lead")
    at.multiselect(key="new_depts").select(code)
    at.text_input(key="new_password").input("Lead-Pass-2026")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [t("access.created", "en", username="lead.one")]
    record = get_user(small_demo, username="lead.one")
    assert record.role == "dept_lead" and record.departments == (code,) and record.has_password


def test_audit_page_filters_by_action(small_demo: Engine) -> None:
    create_user(small_demo, username="ann", role="analyst", password="Analyst-Pass-1", actor="root")
    at = open_page("pages/audit.py", ADMIN)
    at.multiselect(key="audit_actions").select("user_create")
    at.run()
    table = at.dataframe[0].value
    assert table["Action"].tolist() == ["user_create"] and table["Target"].tolist() == ["ann"]
    assert "1 entries" in [c.value for c in at.caption]


def test_sso_is_offered_when_auth_secrets_exist(fresh_app: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_ADMIN_USER", "boss")
    monkeypatch.setenv("CEM_ADMIN_PASSWORD", "Boss-Pass-2026")
    plain = open_page(None, None)
    assert not [b for b in plain.button if b.key == "sso_login"]
    at = AppTest.from_file(str(Path(PAGES[0].abspath).parent.parent / "app.py"), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "cem", "client_secret": "s",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.run()
    assert [b.label for b in at.button if b.key == "sso_login"] == [t("access.sso_button", "en")]
    assert at.text_input(key="signin_user")  # passwords stay available beside SSO
