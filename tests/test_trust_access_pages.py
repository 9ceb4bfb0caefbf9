"""Issue 11 (Trust), sign-in part, through the real app under AppTest: the sign-in screen shows no password
and opens the demo only with the start token; no English reaches the Chinese UI (demo names, percentage
points, import errors); a department lead's filter lists stay in scope. Plus migration 0013."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text, update
from streamlit.testing.v1 import AppTest

from cem_core.auth.bootstrap import create_first_admin, demo_user
from cem_core.auth.passwords import hash_password
from cem_core.auth.roles import User
from cem_core.auth.start_token import QUERY_PARAM, start_token
from cem_core.db import alembic_config, make_engine, migrate
from cem_core.db.models import AppUser, Department, ImportDetail, Response, Touchpoint
from cem_core.demo.generator import load_demo
from cem_core.i18n import t
from cem_core.ingest.load import import_file
from tests.fixtures.ingest_files import write_csv
from tests.pages_harness import APP, open_page, point_app_at


@pytest.fixture
def demo_app(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A private demo database (the tests write to it) behind the app, no real user yet."""
    point_app_at(monkeypatch, sqlite_url)
    monkeypatch.setenv("CEM_LANGUAGE", "en")  # AppTest calls a widget's format_func outside the session
    engine = make_engine(sqlite_url)
    migrate(engine)
    load_demo(engine, rows=300)
    return engine


def _run_router(at: AppTest) -> AppTest:
    """Run app.py itself: AppTest otherwise reruns only the page a previous run finished on."""
    at._page_hash = at._finished_page_script_hash = ""
    return at.run()


def _all_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in (at.markdown, at.caption, at.info, at.title, at.error, at.warning)
             for e in kind]
    parts += [str(b.label) for b in at.button] + [t_.value.to_string() for t_ in at.table]
    return "\n".join(parts)


def test_sign_in_screen_shows_no_password_and_the_token_link_opens_the_demo(demo_app: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    shown = _all_text(at)
    assert "-pass" not in shown and start_token() not in shown
    assert not [b for b in at.button if str(b.key).startswith("demo_as_")]  # no way in without the token
    assert at.text_input(key="start_token_input")

    at.query_params[QUERY_PARAM] = start_token()  # the link printed to the server's terminal
    _run_router(at)
    keys = [b.key for b in at.button if str(b.key).startswith("demo_as_")]
    assert keys == [f"demo_as_{r}" for r in ("admin", "analyst", "executive", "uploader", "dept_lead")]
    at.button(key="demo_as_executive").click()
    _run_router(at)
    assert at.session_state["user"].username == "demo_executive" and not at.exception
    captions = [c.value for c in at.sidebar.caption]
    assert t("access.signed_in_as", "zh", name="演示管理层", role="管理层") in captions
    assert not any("Demo" in c for c in captions)  # "Demo {role}" was English in the Chinese UI

    create_first_admin(demo_app, username="owner", password="Owner-Pass-2026", token=start_token())
    _run_router(at)  # the first real admin ends the demo session at its next click
    assert "user" not in at.session_state
    assert [w.value for w in at.warning] == [t("trust_access.demo_over", "zh")]
    assert not [b for b in at.button if str(b.key).startswith("demo_as_")]


def test_a_wrong_token_opens_nothing(demo_app: Engine) -> None:
    at = open_page(None, None)
    at.text_input(key="start_token_input").input("demo-admin-pass")
    at.button[-1].click()
    at.run()
    assert [e.value for e in at.error] == [t("trust_access.bad_token", "en")]
    assert not [b for b in at.button if str(b.key).startswith("demo_as_")] and "user" not in at.session_state


def test_users_page_refuses_a_demo_admin(demo_app: Engine) -> None:
    demo = demo_user(demo_app, "admin")
    at = open_page("pages/users.py", demo)
    at.text_input(key="new_username").input("mallory")
    at.selectbox(key="new_role").set_value("admin")
    at.text_input(key="new_password").input("Mallory-Pass-2026")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == [t("trust_access.demo_cannot_manage_users", "en")]
    with demo_app.connect() as conn:
        assert conn.execute(select(AppUser.username)).all() == []


def test_overview_in_chinese_has_no_pp(seeded_app: str) -> None:
    at = open_page(None, User("root", "admin", (), "Root"), lang="zh")
    deltas = [str(m.delta) for m in at.metric if m.delta]
    assert deltas and not any("pp" in d for d in deltas)
    assert any(d.endswith("个百分点") for d in deltas)


def test_import_history_error_reads_in_the_viewers_language(demo_app: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["日期", "推荐度", "意见"],
                     [["2024-03-05", "9", "好"], ["2024-03-06", "15", "差"]])
    report = import_file(demo_app, path, user="u", on_invalid="reject")
    assert report.status == "rejected"
    with demo_app.connect() as conn:
        stored = json.loads(conn.execute(select(ImportDetail.error)).scalar_one())
    assert stored == {"key": "ingest.err.invalid_rows", "values": {"file": "bad.csv", "rows": "1"}}
    for lang in ("zh", "en"):
        at = open_page("pages/imports.py", User("root", "admin", (), "Root"), lang=lang)
        errors = [e for e in at.dataframe[0].value.iloc[:, -1].tolist() if isinstance(e, str) and e]
        assert errors == [t("ingest.err.invalid_rows", lang, file="bad.csv", rows="1")]


def test_department_lead_filter_lists_stay_in_scope(demo_app: Engine) -> None:
    lead = demo_user(demo_app, "dept_lead")
    d, tp = Department.__table__, Touchpoint.__table__
    with demo_app.connect() as conn:
        elsewhere = select(tp.c.id).join(d, d.c.id == tp.c.department_id).where(d.c.code.not_in(lead.scope))
        target = conn.execute(select(Response.id).where(Response.touchpoint_id.in_(elsewhere)).limit(1)).scalar_one()
    with demo_app.begin() as conn:
        conn.execute(update(Response).where(Response.id == target).values(region="Elsewhere-Only"))
    admin = open_page(None, User("root", "admin", (), "Root"))
    assert "Elsewhere-Only" in admin.multiselect(key="flt_regions").options
    at = open_page(None, lead)
    options = at.multiselect(key="flt_regions").options
    assert options and "Elsewhere-Only" not in options


def test_migration_0013_removes_published_demo_rows_and_keys_old_errors(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    command.upgrade(alembic_config(engine), "0006")
    english = t("ingest.err.failed", "en", batch=7, error="OperationalError: disk full")
    with engine.begin() as conn:
        conn.execute(AppUser.__table__.insert().values(
            username="demo_admin", display_name="Demo admin", password_hash=hash_password("demo-admin-pass"),
            role="admin", disabled=False, is_demo=True, created_at=dt.datetime.now()))
        conn.execute(text("INSERT INTO import_batches (id, file_name, content_hash, started_at, status, is_demo, "
                          "rows_imported, rows_skipped, rows_duplicate) VALUES "
                          "(1, 'a.csv', 'h1', '2024-01-01', 'failed', 0, 0, 0, 0), "
                          "(2, 'b.csv', 'h2', '2024-01-01', 'failed', 0, 0, 0, 0)"))
        conn.execute(ImportDetail.__table__.insert(), [{"batch_id": 1, "error": english},
                                                       {"batch_id": 2, "error": "something unforeseen"}])
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(select(AppUser.username)).all() == []
        errors = dict(conn.execute(select(ImportDetail.batch_id, ImportDetail.error)).all())
    assert json.loads(errors[1]) == {"key": "ingest.err.failed",
                                     "values": {"batch": "7", "error": "OperationalError: disk full"}}
    assert errors[2] == "something unforeseen"  # unknown text stays, shown as it is
    engine.dispose()
