"""Killed and live imports in real processes: a batch whose importer got SIGKILL is settled as
interrupted with 0 rows by the next start of the CLI or the app, and imports again; a batch whose
importer is alive in another process stays running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.db.models import ImportBatch, Response
from cem_core.ingest.lease import orphaned, settle_interrupted
from tests.fault_processes import ROWS, Child, feedback_csv
from tests.pages_harness import open_page, point_app_at


def cli(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CEM_DATABASE_URL": url, "CEM_DEMO_ROWS": "0"}
    return subprocess.run([sys.executable, "-m", "cem_core", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def batch(engine: Engine, batch_id: int | None = None) -> ImportBatch:
    with engine.connect() as conn:
        stmt = select(ImportBatch.__table__)
        stmt = stmt.where(ImportBatch.id == batch_id) if batch_id else stmt.order_by(ImportBatch.id.desc())
        return conn.execute(stmt).first()


def batch_rows(engine: Engine, batch_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Response).where(Response.batch_id == batch_id)
                            ).scalar_one()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_killed_import_is_interrupted_by_the_next_cli_start_and_imports_again(
        engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url, data = url_of(engine), feedback_csv(tmp_path / "big.csv")
    child = Child(url, data, pause=0.3)
    request.addfinalizer(child.kill)
    child.until("progress", 3)  # 1,500 rows written inside the import's open transaction
    running = batch(engine)
    assert running.status == "running"
    os.kill(child.proc.pid, signal.SIGKILL)  # the importer alone, as `kill -9 <pid>` would
    child.proc.wait(timeout=30)

    # Postgres ends the dead client's sessions (and with them the lease) as soon as it sees the sockets close.
    deadline = time.monotonic() + 10
    while not orphaned(engine) and time.monotonic() < deadline:
        time.sleep(0.1)
    start = cli(url, "stats")
    assert start.returncode == 0, start.stderr
    assert f"Batch {running.id} (big.csv, started" in start.stderr
    assert "Importing the file again is safe" in start.stderr
    settled = batch(engine, running.id)
    assert settled.status == "interrupted" and settled.rows_imported == 0 and settled.finished_at is not None
    assert settled.started_at == running.started_at
    assert batch_rows(engine, running.id) == 0

    again = cli(url, "import", str(data), "--json")
    assert again.returncode == 0, again.stderr
    assert '"status": "done"' in again.stdout
    redone = batch(engine)
    assert redone.id != running.id and redone.status == "done" and batch_rows(engine, redone.id) == ROWS
    assert batch(engine, running.id).status == "interrupted"  # the history keeps what happened


def test_live_import_in_another_process_is_left_alone(engine: Engine, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    url, gate = url_of(engine), tmp_path / "hold"
    gate.touch()  # the child waits after its first chunk until this file is gone
    child = Child(url, feedback_csv(tmp_path / "live.csv", 1500), pause=0, gate=gate)
    request.addfinalizer(child.kill)
    child.until("progress")
    live = batch(engine)
    assert orphaned(engine) == [] and settle_interrupted(engine) == []
    start = cli(url, "stats")  # a CLI start while the import runs
    assert start.returncode == 0, start.stderr
    assert "interrupted" not in start.stderr
    assert batch(engine, live.id).status == "running" and child.proc.poll() is None
    gate.unlink()
    assert child.until("status") == f"status done {live.id}"
    child.proc.wait(timeout=30)
    assert batch(engine, live.id).status == "done" and batch_rows(engine, live.id) == 1500


def test_app_start_settles_a_killed_import(sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    child = Child(sqlite_url, feedback_csv(tmp_path / "门店.csv"), pause=0.3)
    request.addfinalizer(child.kill)
    child.until("progress", 2)
    os.kill(child.proc.pid, signal.SIGKILL)
    child.proc.wait(timeout=30)
    point_app_at(monkeypatch, sqlite_url)
    at = open_page("pages/imports.py", User("up", "uploader"), "en")
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["status"].tolist() == ["interrupted (safe to retry)"] and table["rows_imported"].tolist() == [0]
    assert "Importing the file again is safe" in at.info[0].value
    engine.dispose()
