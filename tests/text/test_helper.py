"""The import's comments analysed on two cores (``cem_core.text.helper``): the helper process's share is
stored exactly as this process would have analysed it, on SQLite and Postgres; a helper that dies is
replaced by analysis in the importer; the helper holds no lease, connection or file of the importer; and
the page's import (under AppTest) and a multi-chunk import after it in the same process both work (a
``multiprocessing`` pool broke there: it re-ran the test process's ``__main__``)."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import signal
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, select

from cem_core.auth.roles import User
from cem_core.db import make_engine, migrate
from cem_core.db.models import Response, ResponseText
from cem_core.ingest import load
from cem_core.text import backlog, helper, store
from tests.pages_harness import open_page, point_app_at
from tests.text.test_store import assert_consistent

R, RT = Response.__table__, ResponseText.__table__
PHRASES = ["前台办理入住等了一个小时，太慢了", "The breakfast was excellent", "房间干净，但是空调有噪音",
           "虽然价格偏高，但是服务很好", "Staff were rude, not clean at all", "还行吧", "6分", "客服人员态度很好",
           "bumped from my flight, never again", "加价提车，体验很差"]


class Spy(helper.Helper):
    """The real helper, recording what it answered and what its process holds open."""

    answered: ClassVar[list[int]] = []
    fds: ClassVar[list[tuple[set[str], set[str]]]] = []  # (the helper's open files, the importer's) per answer
    kill_at: ClassVar[int | None] = None  # kill the process (SIGKILL) before this answer is read

    def receive(self) -> tuple[list, float]:
        if self.proc.poll() is None:
            Spy.fds.append((open_files(self.proc.pid), open_files(os.getpid())))
        if Spy.kill_at is not None and len(Spy.answered) == Spy.kill_at:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        rows, seconds = super().receive()
        Spy.answered.append(len(pickle.loads(rows) if isinstance(rows, bytes) else rows))  # bytes: a backlog piece
        return rows, seconds


def open_files(pid: int) -> set[str]:
    fd_dir = Path(f"/proc/{pid}/fd")
    out = set()
    for name in os.listdir(fd_dir):
        try:
            out.add(os.readlink(fd_dir / name))
        except FileNotFoundError:
            continue  # closed meanwhile
    return out


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> type[Spy]:
    monkeypatch.setattr(helper, "Helper", Spy)
    monkeypatch.setattr(Spy, "answered", [])
    monkeypatch.setattr(Spy, "fds", [])
    monkeypatch.setattr(Spy, "kill_at", None)
    return Spy


def comments_csv(path: Path, rows: int) -> Path:
    lines = [f"2026-01-{1 + i % 28:02d},{i % 11},\"{PHRASES[i % len(PHRASES)]}，第{i // 3}次\"" for i in range(rows)]
    path.write_text("date,nps,comment\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_as_analysed_here(engine: Engine) -> int:
    """Every stored analysis equals this process's analysis of the stored comment, and the rollups equal
    the recount of the stored analyses; returns the comments checked."""
    with engine.connect() as conn:
        analyses = store.Analyses(store.import_config(conn))
        stored = conn.execute(select(R.c.comment, R.c.language, *(RT.c[k] for k in store.TEXT_COLUMNS[2:-1]))
                              .join(RT, RT.c.response_id == R.c.id).order_by(R.c.id)).all()
    expected = analyses.rows([r[0] for r in stored], [r[1] for r in stored])
    assert [tuple(r[2:]) for r in stored] == [row.stored for row in expected]
    assert_consistent(engine)
    return len(stored)


@pytest.fixture
def pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backlog pieces of 16 comments, 4 of them at the helper at a time (a 64-row chunk is 4 pieces)."""
    monkeypatch.setattr(backlog, "PIECE", 16)
    monkeypatch.setattr(backlog, "SENT", 4)


def test_two_cores_store_what_one_core_would(engine: Engine, tmp_path, spy: type[Spy], pieces: None) -> None:
    rep = load.import_file(engine, comments_csv(tmp_path / "c.csv", 600), user="t", chunk_rows=64)
    assert rep.status == "done" and rep.rows_imported == 600
    # the pieces sent first are always the helper's; the importer took the rest from the back at the end
    assert len(spy.answered) >= 4 and set(spy.answered) <= {16, 600 % 64 - 16}  # pieces of 16, the last chunk 24
    assert assert_as_analysed_here(engine) == 600


def test_the_helper_holds_nothing_of_the_importer(engine: Engine, tmp_path, spy: type[Spy]) -> None:
    """Nothing the importer holds but its pipes: not the lease (``<db>-imports/<batch>.lease`` on SQLite,
    the session of the connection on Postgres), not the database file, not a socket."""
    load.import_file(engine, comments_csv(tmp_path / "c.csv", 200), user="t", chunk_rows=64)
    assert spy.fds
    for child, importer in spy.fds:
        if engine.dialect.name == "sqlite":
            assert any(f.endswith(".lease") for f in importer) and any(f.endswith("cem.db") for f in importer)
        else:
            assert any(f.startswith("socket:") for f in importer)
        shared = {f for f in child & importer if not f.startswith("pipe:") and f != "/dev/null"}
        assert not shared and not any(f.startswith("socket:") for f in child), (shared, child)


def test_a_helper_killed_mid_import_leaves_the_import_whole(engine: Engine, tmp_path, spy: type[Spy], pieces: None,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    spy.kill_at = 0  # as the importer starts reading answers: the helper has its first pieces, none answered
    with caplog.at_level(logging.WARNING, logger=backlog.__name__):
        rep = load.import_file(engine, comments_csv(tmp_path / "c.csv", 600), user="t", chunk_rows=64)
    assert rep.status == "done" and rep.rows_imported == 600
    # an answer already in the pipe would still be read; the pieces it held went back to the importer
    assert len(spy.answered) <= backlog.SENT < 600 // 16
    assert any("helper ended (signal 9)" in r.getMessage() for r in caplog.records)
    assert assert_as_analysed_here(engine) == 600


def test_a_helper_that_cannot_start_is_no_failure(engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(helper, "CHILD", "cem_core.text.no_such_module")  # the child exits at once
    with caplog.at_level(logging.WARNING, logger=backlog.__name__):
        rep = load.import_file(engine, comments_csv(tmp_path / "c.csv", 300), user="t", chunk_rows=64)
    assert rep.status == "done" and any("helper ended" in r.getMessage() for r in caplog.records)
    assert assert_as_analysed_here(engine) == 300


def test_page_import_then_cli_import_in_the_same_process(sqlite_url: str, tmp_path, spy: type[Spy],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload page imports a file of several chunks under AppTest (the app's ``__main__``), then an
    import as the CLI runs it, in this same process: both use the helper and store its analysis."""
    from cem_core.cli import main as cli_main

    engine = make_engine(sqlite_url)
    migrate(engine)
    point_app_at(monkeypatch, sqlite_url)
    monkeypatch.setitem(load.import_file.__kwdefaults__, "chunk_rows", 100)
    data = comments_csv(tmp_path / "page.csv", 400).read_bytes()
    key = hashlib.sha256(data).hexdigest()[:12]
    at = open_page("pages/upload.py", User("up", "uploader"), "en")
    at.file_uploader(key="upl_files").set_value(("page.csv", data, "text/csv")).run()
    at.button(key=f"upl_check_{key}").click().run()
    at.button(key=f"upl_go_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("imported 400 rows" in s.value for s in at.success)
    page_answers = len(spy.answered)
    assert page_answers >= backlog.SENT  # the pieces sent first are always the helper's

    lines = comments_csv(tmp_path / "x.csv", 700).read_text(encoding="utf-8").splitlines()
    cli_file = tmp_path / "cli.csv"
    cli_file.write_text("\n".join([lines[0], *lines[401:]]) + "\n", encoding="utf-8")  # rows the page did not bring
    assert cli_main(["import", str(cli_file), "--user", "t"], engine=engine) == 0
    assert len(spy.answered) >= page_answers + backlog.SENT
    assert assert_as_analysed_here(engine) == 700
    engine.dispose()


def test_rebuild_on_two_cores_stores_what_one_core_would(engine: Engine, tmp_path, spy: type[Spy],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``text rebuild`` after a dictionary change: chunks read ahead and shared with the helper, stored as
    this process analyses the same comments under the new settings; the rollups move with them."""
    from cem_core.text.settings import save, stale

    load.import_file(engine, comments_csv(tmp_path / "c.csv", 500), user="t")
    answered = len(spy.answered)
    monkeypatch.setattr(store, "CHUNK", 120)
    monkeypatch.setattr(store, "CHUNK_MIN", 60)
    monkeypatch.setattr(store, "COMPACT_AFTER", 200)
    save(engine, "hotel", {"stopwords": ["房间", "room"], "synonyms": {"服务": ["态度"]}}, user="admin", note="t")
    assert stale(engine) == 500
    assert store.reanalyse(engine) == 500 and stale(engine) == 0
    assert len(spy.answered) - answered >= 4
    assert assert_as_analysed_here(engine) == 500


def test_gc_paused_restores_the_collector() -> None:
    """The collector is off inside the block and back on after it, also when the block raises; a caller that
    had it off keeps it off."""
    import gc

    assert gc.isenabled()
    with helper.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), helper.gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with helper.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_helper_starts_without_the_database_layer() -> None:
    """The helper process imports the analysis and the packing only (its start is part of an import's wait):
    no SQLAlchemy, no models."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "alembic", "cem_core.db", "cem_core.text.store")
    code = f"import sys, cem_core.text.helper_child; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
