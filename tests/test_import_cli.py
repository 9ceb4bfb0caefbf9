"""``python -m cem_core import``: JSON report, mapping file, exit codes; in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from cem_core.cli import main
from cem_core.config import PROJECT_ROOT
from cem_core.db.models import Response
from tests.fixtures.ingest_files import gbk_csv, text_renamed_xlsx, write_csv


def responses(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Response)).scalar_one()


def test_import_json_mapping_and_exit_codes(engine: Engine, tmp_path: Path, capsys) -> None:
    odd = write_csv(tmp_path / "odd.csv", ["when", "score", "words", "x"],
                    [["2024-03-05", "9", "great", "1"], ["2024-03-06", "99", "bad", "2"]])
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"when": "occurred_at", "score": "nps", "words": "comment", "x": "ignore"}))
    code = main(["import", str(odd), "--mapping", str(mapping), "--source", "call_center", "--json", "--user", "ops"],
                engine=engine)
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert out[0]["rows_imported"] == 1 and out[0]["rows_skipped"] == 1
    assert out[0]["errors"][0]["row"] == 3 and out[0]["errors"][0]["column"] == "score"

    code = main(["import", str(odd), "--mapping", str(mapping), "--json"], engine=engine)
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "duplicate_file" and out["previous"]["user"] == "ops"

    bad = text_renamed_xlsx(tmp_path / "fake.xlsx")
    code = main(["import", str(bad), str(gbk_csv(tmp_path / "g.csv")), "--on-invalid", "reject", "--json"],
                engine=engine)
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [o["status"] for o in out] == ["rejected", "done"]
    assert responses(engine) == 5


def test_cli_subprocess_prints_progress_and_fails_on_reject(tmp_path: Path, sqlite_url: str) -> None:
    bad = write_csv(tmp_path / "bad.csv", ["日期", "推荐度"], [["2024-03-05", "9"], ["2024-03-06", "x"]])
    env = {**os.environ, "CEM_DATABASE_URL": sqlite_url, "CEM_DEMO_ROWS": "0"}
    proc = subprocess.run([sys.executable, "-m", "cem_core", "import", str(bad), "--on-invalid", "reject"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "rejected" in proc.stdout and "row 3" in proc.stdout
    assert "rows" in proc.stderr  # progress goes to stderr
