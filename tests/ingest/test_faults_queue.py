"""SQLite imports queue on purpose: a second import says what it waits for (file, start, user), waits,
then lands; a waiting limit ends in a translated message and exit code 4, on the CLI and the page."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.db.models import AuditEntry, ImportBatch
from tests.fault_processes import Child, feedback_csv
from tests.fixtures.ingest_files import write_csv
from tests.pages_harness import open_page, point_app_at


def start_cli(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "CEM_DATABASE_URL": url, "CEM_DEMO_ROWS": "0", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "cem_core", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_cli_imports_into_one_sqlite_file_both_land_one_waits(sqlite_url: str, tmp_path: Path) -> None:
    migrate(make_engine(sqlite_url))
    files = [feedback_csv(tmp_path / "north.csv", 40_000, day=1), feedback_csv(tmp_path / "south.csv", 40_000, day=2)]
    procs = [start_cli(sqlite_url, "import", str(f), "--json", "--user", user)
             for f, user in zip(files, ("ann", "bob"), strict=True)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _out, err in results]
    reports = [json.loads(out) for out, _err in results]
    assert [r["status"] for r in reports] == ["done", "done"]
    assert [r["rows_imported"] for r in reports] == [40_000, 40_000]
    waited = [i for i, (_out, err) in enumerate(results) if "Waiting for the import in progress" in err]
    assert len(waited) == 1, [err for _out, err in results]
    second, first = waited[0], 1 - waited[0]
    err = results[second][1]
    assert f"Waiting for the import in progress: {files[first].name} (started " in err
    assert f" by {('ann', 'bob')[first]}, process " in err
    assert "Waited " in err and reports[second]["waited_s"] > 0 and reports[first]["waited_s"] == 0
    with make_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(ImportBatch.status)).scalars().all() == ["done", "done"]


def test_waiting_limit_ends_with_exit_code_4_and_one_line(sqlite_url: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    migrate(make_engine(sqlite_url))
    (tmp_path / "hold").touch()  # the child holds the queue until this file is gone (at the test's end)
    child = Child(sqlite_url, feedback_csv(tmp_path / "long.csv", 3000), pause=0, gate=tmp_path / "hold")
    request.addfinalizer(child.kill)
    child.until("progress")
    small = write_csv(tmp_path / "small.csv", ["日期", "推荐度"], [["2024-03-05", "9"]])
    proc = start_cli(sqlite_url, "import", str(small), "--json", env={"CEM_IMPORT_WAIT_MINUTES": "0.02"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 4, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Gave up after waiting 0.02 min for the import in progress (long.csv, started ")
    assert "by child); nothing was written" in last
    assert json.loads(out) | {"message": ""} == {"status": "error", "error": "wait_timeout", "exit_code": 4,
                                                 "database": sqlite_url.removeprefix("sqlite:///"), "message": ""}
    assert "Waiting for the import in progress: long.csv" in err


def test_upload_page_gives_up_waiting_with_a_translated_message(sqlite_url: str, tmp_path: Path,
                                                                request: pytest.FixtureRequest,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(make_engine(sqlite_url))
    (tmp_path / "hold").touch()
    child = Child(sqlite_url, feedback_csv(tmp_path / "long.csv", 3000), pause=0, gate=tmp_path / "hold")
    request.addfinalizer(child.kill)
    child.until("progress")
    point_app_at(monkeypatch, sqlite_url)
    monkeypatch.setenv("CEM_IMPORT_WAIT_MINUTES", "0.02")
    at = open_page("pages/upload.py", User("up", "uploader"), "zh")
    small = write_csv(tmp_path / "small.csv", ["日期", "推荐度"], [["2024-03-05", "9"]])
    data = small.read_bytes()
    key = hashlib.sha256(data).hexdigest()[:12]
    at.file_uploader(key="upl_files").set_value((small.name, data, "text/csv")).run()
    at.button(key=f"upl_check_{key}").click().run()
    at.button(key=f"upl_go_{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error]
    shown = at.error[0].value.replace("\\", "").replace("\u2060", "")  # as the browser shows the escaped text
    assert shown.startswith("等待进行中的导入（long.csv，child 于 ")
    assert "0.02 分钟" in shown
    assert child.proc.poll() is None  # the import in progress carries on
    assert uploads_audited(sqlite_url) == 0  # the lock is the import's: the entry waits in the session
    (tmp_path / "hold").unlink()
    assert child.until("status").startswith("status done")
    at.run()
    assert not at.exception and uploads_audited(sqlite_url) == 1  # written on the next run, once


def uploads_audited(url: str) -> int:
    with make_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "upload")
                            ).scalar_one()


@pytest.mark.postgres
def test_two_cli_imports_into_postgres_both_land_without_queueing(pg_url: str, tmp_path: Path) -> None:
    migrate(make_engine(pg_url))
    files = [feedback_csv(tmp_path / "east.csv", 20_000, day=3), feedback_csv(tmp_path / "west.csv", 20_000, day=4)]
    procs = [start_cli(pg_url, "import", str(f), "--json") for f in files]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _out, err in results]
    assert [json.loads(out)["rows_imported"] for out, _err in results] == [20_000, 20_000]
    assert not any("Waiting" in err for _out, err in results)
