"""Import history page under AppTest on a real database: the batch is listed, undo removes its rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.db.models import Response
from cem_core.ingest.load import import_file
from cem_core.ui.nav import allowed_pages
from tests.fixtures.ingest_files import gbk_csv
from tests.pages_harness import open_page, point_app_at


@pytest.fixture
def imported(sqlite_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    engine = make_engine(sqlite_url)
    migrate(engine)
    import_file(engine, gbk_csv(tmp_path / "门店反馈.csv"), user="alice")
    engine.dispose()
    point_app_at(monkeypatch, sqlite_url)
    return sqlite_url


def test_history_lists_batch_and_undo_removes_rows(imported: str) -> None:
    at = open_page("pages/imports.py", User("up", "uploader"), "zh")
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["file_name"].tolist() == ["门店反馈.csv"] and table["rows_imported"].tolist() == [4]
    at.checkbox(key="imp_undo_sure").check().run()
    at.button(key="imp_undo_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已撤销批次" in at.success[0].value
    engine = make_engine(imported)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Response)).scalar_one() == 0
    engine.dispose()


def test_analyst_sees_history_but_cannot_undo(imported: str) -> None:
    at = open_page("pages/imports.py", User("an", "analyst"), "en")
    assert not at.exception and at.dataframe
    assert not [b for b in at.button if b.key == "imp_undo_go"]


def test_upload_page_needs_permission(imported: str) -> None:
    assert "pages/upload.py" not in [p.path for p in allowed_pages(User("an", "analyst"))]
    at = open_page("pages/upload.py", User("up", "uploader"), "en")
    assert not at.exception and at.title[0].value == "Upload feedback"
