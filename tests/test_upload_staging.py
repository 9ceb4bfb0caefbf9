"""Issue 11 point 6: the upload page reads, decodes and hashes each file once; widget changes reuse it;
after the import nothing read from the file stays in the session."""

from __future__ import annotations

import dataclasses
import hashlib
import types

import pandas as pd
import pytest
from sqlalchemy import func, select

from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.db.models import Response
from cem_core.ingest.load import TablePlan
from cem_core.ingest.read import PASSES, RawTable
from cem_core.ingest.staging import StagedFile
from tests.fixtures.ingest_files import HEADER_ZH, ROWS_ZH, excel_with_title, write_csv
from tests.pages_harness import open_page, point_app_at

UPLOADER = User("up", "uploader")


def file_things(value: object, path: str = "state", seen: set[int] | None = None) -> list[str]:
    """Paths to anything in ``value`` that carries a file: bytes over 1 KiB, opened tables, plans, staged
    files, data frames with rows, and functions (a closure can hold a whole file)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return [path] if len(value) > 1024 else []
    if isinstance(value, RawTable | TablePlan | StagedFile | types.FunctionType):
        return [f"{path}: {type(value).__name__}"]
    if isinstance(value, pd.DataFrame):
        return [path] if len(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in file_things(v, f"{path}[{k!r}]", seen)]
    if isinstance(value, list | tuple | set | frozenset):
        return [p for i, v in enumerate(value) for p in file_things(v, f"{path}[{i}]", seen)]
    if dataclasses.is_dataclass(value):
        return [p for f in dataclasses.fields(value) for p in file_things(getattr(value, f.name), f"{path}.{f.name}",
                                                                          seen)]
    return []


def test_mapping_edits_reuse_the_read_and_the_import_leaves_nothing_behind(
        sqlite_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    point_app_at(monkeypatch, sqlite_url)
    rows = [[*r[:3], f"第{i}条 {r[3]}", *r[4:]] for i in range(200) for r in ROWS_ZH]  # 800 distinct rows
    data = write_csv(tmp_path / "f.csv", HEADER_ZH, rows, encoding="gbk").read_bytes()
    key = hashlib.sha256(data).hexdigest()[:12]
    at = open_page("pages/upload.py", UPLOADER, "en")
    before = PASSES.copy()
    at.file_uploader(key="upl_files").set_value(("f.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    first = PASSES - before
    assert first["hash"] == 1 and first["open"] == 1 and first["decode"] >= 1  # gbk: utf-8 fails, then gb18030

    # A mapping edit ("手机号" -> ignore), a template name typed, the check: no whole-file pass again.
    phone_row = at.data_editor[0].value["header"].tolist().index("手机号")
    at.session_state[f"upl_map_{key}"] = {"edited_rows": {phone_row: {"field": "ignore"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.run()
    at.text_input(key=f"upl_tname_{key}").input("门店模板").run()
    at.button(key=f"upl_check_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert PASSES - before == first
    assert at.button(key=f"upl_go_{key}").label == "Import 800 valid rows"

    at.button(key=f"upl_go_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert PASSES - before == first  # the import reused the staged tables and hash too
    assert any("imported 800 rows" in s.value for s in at.success)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Response)).scalar_one() == 800
        assert conn.execute(select(func.count()).select_from(Response).where(Response.customer_id.isnot(None))
                            ).scalar_one() == 0  # the edited mapping was used: no phone, no customer

    state = {k: v for k, v in at.session_state.to_dict().items() if k != "upl_files"}  # Streamlit's own uploader
    assert file_things(state) == []
    at.run()  # a later rerun shows the result without reading the file again
    assert PASSES - before == first and any("imported 800 rows" in s.value for s in at.success)
    assert file_things({k: v for k, v in at.session_state.to_dict().items() if k != "upl_files"}) == []
    engine.dispose()


def test_a_file_removed_from_the_uploader_or_left_on_the_page_is_forgotten(sqlite_url: str, tmp_path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    point_app_at(monkeypatch, sqlite_url)
    data = write_csv(tmp_path / "f.csv", HEADER_ZH, ROWS_ZH).read_bytes()
    at = open_page("pages/upload.py", UPLOADER, "en")
    at.file_uploader(key="upl_files").set_value(("f.csv", data, "text/csv")).run()
    assert at.session_state["upl_staged"]
    at.file_uploader(key="upl_files").set_value(None).run()
    assert not at.exception and file_things(at.session_state.to_dict()) == []

    at.file_uploader(key="upl_files").set_value(("f.csv", data, "text/csv")).run()
    assert at.session_state["upl_staged"]
    # Leave for the default page with the file still in the uploader. AppTest runs only a page script
    # after a switch; the router (app.py), which forgets staged files, runs when its page hash is cleared.
    at._page_hash = at._finished_page_script_hash = ""
    at.run()
    assert not at.exception and at.title[0].value != "Upload feedback"
    assert "upl_staged" not in at.session_state and "upl_reports" not in at.session_state
    engine.dispose()


def test_a_workbook_is_parsed_once_for_all_widget_changes(sqlite_url: str, tmp_path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook is kept as its first rows only (parsed whole it would hold several times its size), so
    mapping edits cost nothing and the check parses it once more, never a rerun."""
    engine = make_engine(sqlite_url)
    migrate(engine)
    point_app_at(monkeypatch, sqlite_url)
    data = excel_with_title(tmp_path / "f.xlsx").read_bytes()
    key = hashlib.sha256(data).hexdigest()[:12]
    at = open_page("pages/upload.py", UPLOADER, "en")
    before = PASSES.copy()
    at.file_uploader(key="upl_files").set_value(("f.xlsx", data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    first = PASSES - before
    assert first["hash"] == 1 and first["open"] == 1
    at.session_state[f"upl_map_{key}"] = {"edited_rows": {0: {"field": "ignore"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.run()
    at.text_input(key=f"upl_tname_{key}").input("模板").run()
    assert PASSES - before == first
    staged = next(iter(at.session_state["upl_staged"].values()))
    assert all(t._chunks is None for t in staged.tables(data, None))  # no parsed rows kept between reruns
    at.button(key=f"upl_check_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (PASSES - before)["open"] == 2 and (PASSES - before)["hash"] == 1
    engine.dispose()
