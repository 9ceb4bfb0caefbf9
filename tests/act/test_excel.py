"""The per-department Excel round trip: export, edit with openpyxl, re-import; conflicts, bad rows, scope,
masking, formula injection, a second import that changes nothing. SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, select

from cem_core.act.excel import KEYS, META_SHEET, export_workbook, import_workbook
from cem_core.act.items import ActionError, change_item, scope_of
from cem_core.auth.roles import User
from cem_core.cli import main
from cem_core.config import PROJECT_ROOT
from cem_core.db.models import AuditEntry
from tests.act_data import import_rows, items, row, setup_reference

ADMIN = User("admin", "admin")
CS_LEAD = User("cs", "dept_lead", ("customer_service",))
ROWS = [row("2026-03-02 10:00", f"C{i}", nps=i % 5, comment="=HYPERLINK(\"http://x\",\"点我\")" if i == 0
            else f"等太久了 {i}", phone=f"1380000000{i}", stage="住宿", touchpoint="客房") for i in range(4)]
COL = {k: i + 1 for i, k in enumerate(KEYS)}


@pytest.fixture
def routed(engine: Engine, tmp_path: Path) -> Engine:
    setup_reference(engine)
    import_rows(engine, tmp_path / "a.csv", ROWS)  # 4 call-backs (customer_service), 4 reviews (operations)
    return engine


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws) -> dict[int, int]:
    """item id -> sheet row number."""
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is not None}


def save(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def test_export_shape_locking_validation_masking_and_audit(routed: Engine) -> None:
    data, n = export_workbook(routed, CS_LEAD, None, "zh")
    assert n == 4
    wb = book(data)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["customer_service"]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    ws = wb["customer_service"]
    assert ws.protection.sheet
    assert [ws.cell(1, c).value for c in (1, COL["status"], COL["root_cause"])] == ["编号", "状态", "根因"]
    r = 2
    assert ws.cell(r, COL["id"]).protection.locked and ws.cell(r, COL["comment"]).protection.locked
    assert not ws.cell(r, COL["status"]).protection.locked and not ws.cell(r, COL["resolution_note"]).protection.locked
    assert isinstance(ws.cell(r, COL["due_at"]).value, dt.datetime)
    assert ws.cell(r, COL["status"]).value == "待处理"
    validated = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    status_letter = openpyxl.utils.get_column_letter(COL["status"])
    assert validated[f"{status_letter}2"] == "_lists!$A$1:$A$5"
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(COL["_version"])].hidden
    phones = [ws.cell(r, COL["phone"]).value for r in range(2, 6)]
    assert all("****" in p for p in phones)  # a department lead sees masked phones
    comments = [ws.cell(r, COL["comment"]).value for r in range(2, 6)]
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in comments  # written as defused text, never a formula
    full = book(export_workbook(routed, ADMIN, None, "en")[0])
    assert {ws.title for ws in full.worksheets if ws.sheet_state == "visible"} == {"customer_service", "operations"}
    assert "13800000001" in [full["customer_service"].cell(r, COL["phone"]).value for r in range(2, 6)]
    with routed.connect() as conn:
        details = [json.loads(d) for d in conn.execute(select(AuditEntry.detail).where(
            AuditEntry.action == "actions_export").order_by(AuditEntry.id)).scalars()]
    assert [d["unmasked"] for d in details] == [False, True]
    with pytest.raises(ActionError):
        export_workbook(routed, CS_LEAD, ["operations"], "zh")  # not the lead's department


def test_round_trip_applies_conflicts_and_row_errors(routed: Engine, tmp_path: Path) -> None:
    data, _ = export_workbook(routed, ADMIN, ["customer_service"], "zh")
    wb = book(data)
    ws = wb["customer_service"]
    ids = rows_of(ws)
    a, b, c, d = sorted(ids)
    for item in (a, b):  # two resolved with a root cause, in Excel
        ws.cell(ids[item], COL["status"]).value = "已解决"
        ws.cell(ids[item], COL["root_cause"]).value = "等待时间过长"
        ws.cell(ids[item], COL["resolution_note"]).value = "已致歉并补偿"
        ws.cell(ids[item], COL["owner"]).value = "李娜"
    ws.cell(ids[c], COL["status"]).value = "已解决"  # no root cause
    ws.cell(ids[d], COL["owner"]).value = "王强"  # ... but the item changes in the app meanwhile
    change_item(routed, d, 1, {"owner": "app-user"}, actor="someone")
    extra = ws.max_row + 1
    ws.cell(extra, COL["id"]).value = 99999
    ws.cell(extra, COL["status"]).value = "Open"
    ws.cell(extra + 1, COL["id"]).value = a
    ws.cell(extra + 1, COL["status"]).value = "完成了"
    path = save(wb, tmp_path / "edited.xlsx")

    result = import_workbook(routed, path, ADMIN)
    assert result.updated == 2
    assert [(m.item, m.key) for m in result.conflicts] == [(d, "act.err.conflict")]
    assert sorted((m.item, m.key) for m in result.errors) == sorted([
        (c, "act.err.needs_root_cause"), (99999, "act.err.unknown_item"), (a, "act.err.bad_status")])
    summary = result.summary("zh")
    assert "根因" in summary["errors"][0]["message"] or "根因" in json.dumps(summary, ensure_ascii=False)
    now = {i["id"]: i for i in items(routed)}
    assert now[a]["status"] == "resolved" and now[a]["owner"] == "李娜" and now[a]["first_contact_at"] is not None
    assert now[d]["owner"] == "app-user"  # not overwritten
    assert now[c]["status"] == "open"
    snapshot = items(routed)
    again = import_workbook(routed, path, ADMIN)  # the same workbook again changes nothing
    assert again.updated == 0 and [m.item for m in again.conflicts] == [d] and items(routed) == snapshot


def test_lead_cannot_import_another_departments_rows_and_old_exports_are_named(routed: Engine,
                                                                                 tmp_path: Path) -> None:
    data, _ = export_workbook(routed, ADMIN, None, "en")
    wb = book(data)
    ops = wb["operations"]
    item = next(iter(rows_of(ops)))
    ops.cell(rows_of(ops)[item], COL["owner"]).value = "intruder"
    path = save(wb, tmp_path / "all.xlsx")
    export_workbook(routed, ADMIN, ["operations"], "en")  # a newer export of the same department
    result = import_workbook(routed, path, CS_LEAD, scope=scope_of(routed, CS_LEAD.scope))
    assert [(m.item, m.key) for m in result.errors] == [(item, "act.err.scope")]
    assert [k for k, _v in result.notices] == ["act.xl.note.other_department", "act.xl.note.old_export"]
    assert all(i["owner"] is None for i in items(routed))


def test_foreign_workbooks_are_refused(routed: Engine, tmp_path: Path) -> None:
    plain = openpyxl.Workbook()
    plain.active["A1"] = "id"
    with pytest.raises(ActionError) as err:
        import_workbook(routed, save(plain, tmp_path / "plain.xlsx"), ADMIN)
    assert err.value.key == "act.xl.err.not_export"
    wb = book(export_workbook(routed, ADMIN, None, "en")[0])
    wb[META_SHEET]["B1"] = "f" * 32
    with pytest.raises(ActionError) as err:
        import_workbook(routed, save(wb, tmp_path / "other.xlsx"), ADMIN)
    assert err.value.key == "act.xl.err.unknown_export"
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ActionError) as err:
        import_workbook(routed, tmp_path / "junk.xlsx", ADMIN)
    assert err.value.key == "act.xl.err.unreadable"


def test_cli_export_and_import(sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    setup_reference(sqlite_engine)
    import_rows(sqlite_engine, tmp_path / "a.csv", ROWS)
    out = tmp_path / "cs.xlsx"
    assert main(["actions", "export", "--department", "customer_service", "--out", str(out)], sqlite_engine) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["customer_service"]
    ws.cell(2, COL["status"]).value = "In progress"
    wb.save(out)
    capsys.readouterr()
    assert main(["actions", "import", str(out), "--json"], sqlite_engine) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["updated"] == 1 and report["conflicts"] == [] and report["errors"] == []
    url = str(sqlite_engine.url)
    proc = subprocess.run([sys.executable, "-m", "cem_core", "actions", "export", "--all", "--out",
                           str(tmp_path / "all.xlsx")], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={"CEM_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "all.xlsx").stat().st_size > 0
