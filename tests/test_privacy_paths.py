"""Issue 11 point 5: a phone and an email typed into a comment go through every path personal data leaves
by (upload preview, error list, error workbook, drill-down view, drill-down export, analysis export) and
come out masked for a role without ``unmask_pii``; every download is audited, masked or not."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cem_core.analyze.drilldown import Drill, drill_page
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.db.models import AuditEntry
from cem_core.ingest.load import import_file
from cem_core.ingest.present import error_workbook
from cem_core.ui.chart_kit import ChartKit
from tests.pages_harness import open_page, point_app_at

DAY = dt.date.today() - dt.timedelta(days=3)  # inside every default date window
GOOD_COMMENT = "请回电 13912345678 或发邮件 li.si@example.com"
BAD_COMMENT = "太差了，打 13712345678 找 wang.wu@example.com"  # on a row rejected for its NPS
SECRETS = ("13912345678", "li.si@example.com", "13712345678", "wang.wu@example.com", "13800138000", "13800138001")
MASKED = ("139****5678", "li.****@example.com")
UPLOADER, ANALYST, ADMIN = User("up", "uploader"), User("ana", "analyst"), User("root", "admin")


def feedback_csv() -> bytes:
    rows = [["日期", "推荐度", "意见", "手机号"], [f"{DAY}", "9", GOOD_COMMENT, "13800138000"],
            [f"{DAY}", "15", BAD_COMMENT, "13800138001"]]
    return ("\r\n".join(",".join(r) for r in rows) + "\r\n").encode("utf-8")


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def xlsx_text(data: bytes) -> str:
    return pd.read_excel(io.BytesIO(data), dtype=str, engine="calamine").to_string()


def exports(engine: Engine) -> list[tuple[str, str | None, dict]]:
    a = AuditEntry.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.actor, a.target, a.detail).where(a.action == "export").order_by(a.id)).all()
    return [(r.actor, r.target, json.loads(r.detail)) for r in rows]


def test_upload_preview_errors_and_error_workbook_are_masked_and_the_download_audited(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    point_app_at(monkeypatch, sqlite_url)
    data = feedback_csv()
    key = hashlib.sha256(data).hexdigest()[:12]
    at = open_page("pages/upload.py", UPLOADER, "en")
    at.file_uploader(key="upl_files").set_value(("反馈.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    preview = at.dataframe[0].value.to_string()
    assert not leaked(preview) and all(m in preview for m in MASKED)  # the comment, masked in the preview
    assert not leaked(at.data_editor[0].value.to_string())  # the mapping editor's samples

    at.button(key=f"upl_check_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(d.value.to_string() for d in at.dataframe)
    assert "15" in shown and not leaked(shown)  # the error list
    assert at.get("download_button")  # the error workbook is offered ...

    report = at.session_state["upl_reports"][key]  # ... and its button calls exactly this
    book = xlsx_text(error_workbook(engine, UPLOADER, report, "en"))
    assert "wan****@example.com" in book and "137****5678" in book and not leaked(book)
    assert exports(engine) == [("up", f"import_errors:{key}", {"rows_skipped": 1, "format": "xlsx", "masked": True})]

    clear = xlsx_text(error_workbook(engine, ADMIN, report, "en"))  # a role that may unmask sees the file as it was
    assert "wang.wu@example.com" in clear
    assert exports(engine)[-1][2]["masked"] is False
    engine.dispose()


def test_drilldown_view_and_every_analysis_export_are_masked_and_audited(engine: Engine) -> None:
    report = import_file(engine, feedback_csv(), "反馈.csv", user="up")
    assert report.rows_imported == 1
    view = drill_page(engine, Filters(), Drill(), unmask=False, lang="en")  # what the drill-down panel shows
    assert not leaked(view.to_string()) and all(m in view.to_string() for m in MASKED)

    kit = ChartKit(engine, ANALYST, Filters(), "en")  # the analysis page's download buttons call these
    for fmt in ("csv", "xlsx"):
        data = kit._drill_file(Drill(), fmt)
        text = data.decode("utf-8-sig") if fmt == "csv" else xlsx_text(data)
        assert not leaked(text) and all(m in text for m in MASKED), text
    # A chart's data: aggregates with no personal column, but free text goes through the same rule,
    # and a segment's name is not taken for a person's.
    aggregate = pd.DataFrame({"name": ["静安店"], "nps": [40.0], "note": [GOOD_COMMENT]})
    chart_data = xlsx_text(kit._data_file("segments_store", aggregate, "xlsx"))
    assert "静安店" in chart_data and not leaked(chart_data)
    assert [(a, t, d["format"], d["masked"]) for a, t, d in exports(engine)] == [
        ("ana", "analysis:drilldown", "csv", True), ("ana", "analysis:drilldown", "xlsx", True),
        ("ana", "analysis:segments_store", "xlsx", True)]

    clear = ChartKit(engine, ADMIN, Filters(), "en")._drill_file(Drill(), "csv").decode("utf-8-sig")
    assert "li.si@example.com" in clear and exports(engine)[-1][2]["masked"] is False
