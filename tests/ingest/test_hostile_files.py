"""Hostile and broken files through ``python -m cem_core import --json`` as a real process, on SQLite and
Postgres: every file lands (bad rows reported) or is refused with a reason; never a traceback, never
garbled text stored, never more than 1 GB peak RSS (measured over the CLI and every process it starts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.config import PROJECT_ROOT
from cem_core.db.models import Customer, Response
from cem_core.ingest.errors import IngestError
from cem_core.ingest.read import Caps, open_tables
from tests.fixtures import hostile_files as hf

GB = 1024**3
# Runs the CLI and reports the peak RSS of the largest process in its tree: Linux folds a reaped child's
# peak into its parent's RUSAGE_CHILDREN, so the CLI's own children (reader processes) count too.
_MEASURE = ("import json, resource, subprocess, sys; code = subprocess.run(sys.argv[2:]).returncode; "
            "open(sys.argv[1], 'w').write(json.dumps([code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")


@dataclass
class Run:
    code: int
    reports: list[dict]
    stderr: str
    peak_bytes: int


def run_cli(engine: Engine, tmp_path: Path, *files: Path, timeout: float = 300) -> Run:
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "CEM_DATABASE_URL": url, "CEM_DEMO_ROWS": "0"}
    out = tmp_path / "measure.json"
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(out), sys.executable, "-m", "cem_core", "import",
                           "--json", *map(str, files)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    code, peak_kb = json.loads(out.read_text())
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return Run(code, reports, proc.stderr, peak_kb * 1024)


def check(run: Run, code: int, statuses: list[str]) -> dict[str, dict]:
    """The answers every hostile file must get: the exit code, one JSON report per file, no traceback,
    peak RSS under 1 GB. Returns the reports by file name."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == code, (run.stderr, run.reports)
    assert [r["status"] for r in run.reports] == statuses, run.reports
    assert all(r["message"] for r in run.reports)
    assert run.peak_bytes < GB, run.peak_bytes
    return {r["file"]: r for r in run.reports}


def stored(engine: Engine, *columns):
    with engine.connect() as conn:
        return conn.execute(select(*columns).order_by(Response.id)).all()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Response)).scalar_one()


def reasons(report: dict) -> set[str]:
    return {e["reason"] for e in report["errors"]}


ENCODING = "holds bytes that are not in the file's text encoding (shown as �); not imported, to store no garbled text"


def test_encodings_are_accepted_only_when_plausible(engine: Engine, tmp_path: Path) -> None:
    """Class 1: a stray byte in UTF-8, GBK lines among UTF-8 ones, a UTF-8 line among GBK ones."""
    files = [hf.utf8_with_bad_bytes(tmp_path / "stray.csv", 3), hf.mixed_utf8_gbk(tmp_path / "mixed.csv", 4),
             hf.gbk_with_utf8_line(tmp_path / "gbk.csv", 5)]
    by = check(run_cli(engine, tmp_path, *files), 0, ["done"] * 3)
    assert (by["stray.csv"]["rows_imported"], by["stray.csv"]["rows_skipped"]) == (3, 2)
    assert [e["row"] for e in by["stray.csv"]["errors"]] == [5, 6] and reasons(by["stray.csv"]) == {ENCODING}
    assert (by["mixed.csv"]["rows_imported"], by["mixed.csv"]["rows_skipped"]) == (3, 2)
    assert (by["gbk.csv"]["rows_imported"], by["gbk.csv"]["rows_skipped"]) == (6, 1)
    assert by["gbk.csv"]["errors"][0]["row"] == 8 and reasons(by["gbk.csv"]) == {ENCODING}
    comments = [c for (c,) in stored(engine, Response.comment)]
    assert comments == hf.GOOD_COMMENTS * 3 + ["非常满意0", "非常满意1", "非常满意2"]  # nothing garbled


def test_odd_shapes_get_an_answer_not_a_traceback(engine: Engine, tmp_path: Path) -> None:
    """Class 2: a 200,000-character field, a huge header cell, CR-only line ends and a bare CR land; 100,000
    columns and JSON nested 5,000 deep are refused, naming the limit."""
    files = [hf.long_field_csv(tmp_path / "long.csv", 3), hf.huge_header_csv(tmp_path / "header.csv", 4),
             hf.cr_only_csv(tmp_path / "mac.csv", 5), hf.bare_cr_csv(tmp_path / "cr.csv", 6),
             hf.wide_csv(tmp_path / "wide.csv", 7), hf.deep_json(tmp_path / "deep.json")]
    by = check(run_cli(engine, tmp_path, *files), 1, ["done"] * 4 + ["rejected"] * 2)
    assert (by["long.csv"]["rows_imported"], by["long.csv"]["rows_skipped"]) == (3, 1)
    assert reasons(by["long.csv"]) == {"text too long (at most 5,000 characters)"}
    assert by["header.csv"]["rows_imported"] == 3 and by["mac.csv"]["rows_imported"] == 3
    assert by["cr.csv"]["rows_imported"] == 4 and by["cr.csv"]["rows_skipped"] == 0
    assert "1,000" in by["wide.csv"]["message"] and "100,004 columns" in by["wide.csv"]["message"]
    assert "64 levels" in by["deep.json"]["message"]
    assert count(engine) == 13  # nothing from the refused files
    assert "前台\n态度好" in [c for (c,) in stored(engine, Response.comment)]  # the bare CR is a line break


def test_workbooks_that_crash_or_bloat_the_reader(engine: Engine, tmp_path: Path) -> None:
    """Class 3: a cell at XFD1048576 is refused before parsing; two rows under a declared A1:XFD1048576
    land within the memory bound."""
    files = [hf.xfd_xlsx(tmp_path / "xfd.xlsx"), hf.declared_huge_xlsx(tmp_path / "declared.xlsx")]
    by = check(run_cli(engine, tmp_path, *files), 1, ["rejected", "done"])
    assert "16,384 columns" in by["xfd.xlsx"]["message"]
    assert by["declared.xlsx"]["rows_imported"] == 2 and count(engine) == 2


def test_a_reader_crash_is_a_refusal_with_a_reason(tmp_path: Path) -> None:
    """Past the shape checks, the Rust reader aborts (signal 6) on the XFD1048576 cell: only its child
    process ends, and the import gets a reason."""
    with pytest.raises(IngestError) as err:
        open_tables(hf.xfd_xlsx(tmp_path / "xfd.xlsx"), "xfd.xlsx", Caps(max_columns=20_000, max_cells=10**13))
    assert err.value.key == "ingest.err.reader_crashed" and "signal 6" in str(err.value)


def test_bombs_are_refused_early_within_the_memory_bound(engine: Engine, tmp_path: Path) -> None:
    """Class 4: 2.1M rows (over the row cap) and 9M cells (over the 4M cell cap) in a few compressed megabytes
    are refused while the sheet streams, before any parser holds it."""
    files = [hf.row_bomb_xlsx(tmp_path / "rows.xlsx", 2_100_000),
             hf.row_bomb_xlsx(tmp_path / "cells.xlsx", 900_000, cells_per_row=10)]
    by = check(run_cli(engine, tmp_path, *files), 1, ["rejected", "rejected"])
    assert "2,000,000 rows" in by["rows.xlsx"]["message"] and "4,000,000 cells" in by["cells.xlsx"]["message"]
    assert count(engine) == 0


def test_control_characters_never_reach_the_database(engine: Engine, tmp_path: Path) -> None:
    """Class 5: NUL in an email makes it invalid (reported); NUL, VT and BEL in comments are dropped."""
    by = check(run_cli(engine, tmp_path, hf.nul_csv(tmp_path / "nul.csv")), 0, ["done"])
    report = by["nul.csv"]
    assert (report["rows_imported"], report["rows_skipped"]) == (4, 1)
    assert report["errors"][0]["row"] == 5 and report["errors"][0]["column"] == "邮箱"
    assert "control characters" in report["errors"][0]["reason"]
    with engine.connect() as conn:
        comments = conn.execute(select(Response.comment)).scalars().all()
        emails = conn.execute(select(Customer.email)).scalars().all()
    assert "前台热情" in comments
    assert not any(ch in v for v in comments + emails if v for ch in "\x00\x07\x0b")


def test_json_lines_split_on_newline_only(engine: Engine, tmp_path: Path) -> None:
    """Class 6: U+2028 / U+2029 inside JSON strings are text, not line ends."""
    by = check(run_cli(engine, tmp_path, hf.jsonl_with_line_separators(tmp_path / "web.jsonl")), 0, ["done"])
    assert by["web.jsonl"]["rows_imported"] == 3
    comments = [c for (c,) in stored(engine, Response.comment)]
    assert comments == ["第一段\u2028第二段", "好\u2029很好", "一般"]


def test_one_mobile_number_in_four_forms_is_one_customer(engine: Engine, tmp_path: Path) -> None:
    """Class 7: phones are matched in E.164 (default region CN); the stored phone is what the file said."""
    forms = ["+86 138 1234 5678", "+8613812345678", "008613812345678", "13812345678"]
    lines = ["日期,推荐度,手机"] + [f"2024-03-0{i + 1},{9 - i},{p}" for i, p in enumerate(forms)]
    lines.append("2024-03-09,5,13900000000")
    path = tmp_path / "phones.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check(run_cli(engine, tmp_path, path), 0, ["done"])
    later = tmp_path / "later.csv"
    later.write_text("日期,推荐度,手机\n2024-04-01,10,0138-1234-5678\n", encoding="utf-8")
    check(run_cli(engine, tmp_path, later), 0, ["done"])
    with engine.connect() as conn:
        owners = conn.execute(select(Response.customer_id).order_by(Response.id)).scalars().all()
        phones = conn.execute(select(Customer.phone).order_by(Customer.id)).scalars().all()
    assert len(set(owners[:4] + owners[5:])) == 1 and owners[4] != owners[0]
    assert phones == ["+86 138 1234 5678", "13900000000"]  # as the file wrote it
