"""Upload page: the work of one rerun (a mapping edit) on a large file, before and after staging.

    python bench/bench_upload_rerun.py [--rows 600000] [--xlsx-rows 100000] [--repeat 3]

Before (the page up to issue 11): every rerun took the upload's bytes, hashed them (SHA-256), listed the
sheets (a workbook: decompressing every part) and opened the file again (csv: a strict decode of every
byte; xlsx: decompress and parse every row), then built the preview and the mapping table. That path is
timed here with the same functions, called in the same order. After: the page stages the file once
(``ingest.staging``) and a rerun plans from the staged tables. Both paths are timed in this process
on the same bytes, best of ``--repeat``; the whole-file passes each makes are counted (``read.PASSES``).
Files come from bench_import's generator (bench/out/), so the csv is ~100 bytes a row.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import OUT, make_csv, make_xlsx  # noqa: E402

from cem_core.db import make_engine, migrate  # noqa: E402
from cem_core.ingest.load import read_plans  # noqa: E402
from cem_core.ingest.present import mapping_table, preview  # noqa: E402
from cem_core.ingest.read import PASSES, sheet_names  # noqa: E402
from cem_core.ingest.staging import StagedFile, stage  # noqa: E402


def rerun_before(engine, data: bytes, name: str) -> None:
    """pages/upload.py before issue 11, per rerun (without the widgets)."""
    hashlib.sha256(data).hexdigest()
    sheet_names(data, name)
    plans = read_plans(engine, data, name, sheets=None)
    for plan in plans:
        preview(plan)
    mapping_table(plans)


def rerun_after(engine, data: bytes, name: str, staged: StagedFile) -> None:
    """pages/upload.py now, per rerun once the file is staged."""
    plans = read_plans(engine, data, name, sheets=None, tables=staged.tables(data, None))
    staged.readable(data, None)
    for plan in plans:
        preview(plan)
    mapping_table(plans)


def best(fn: Callable[[], None], repeat: int) -> tuple[float, int]:
    """Fastest of ``repeat`` runs (seconds) and the whole-file passes one run makes."""
    times, passes = [], 0
    for _ in range(repeat):
        before = sum(PASSES.values())
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        passes = sum(PASSES.values()) - before
    return min(times), passes


def measure(engine, path: Path, repeat: int) -> None:
    data, name = path.read_bytes(), path.name
    t0 = time.perf_counter()
    staged = stage("bench", data, name)
    staged.tables(data, None)
    first = time.perf_counter() - t0
    old, old_passes = best(lambda: rerun_before(engine, data, name), repeat)
    new, new_passes = best(lambda: rerun_after(engine, data, name, staged), repeat)
    print(f"{name}: {len(data) / 1024**2:,.1f} MB | staging once {first:.3f} s | rerun before {old:.3f} s "
          f"({old_passes} whole-file passes) | rerun after {new:.4f} s ({new_passes} passes) | "
          f"before/after = {old / new:,.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=600_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        measure(engine, make_csv(args.rows), args.repeat)
        if args.xlsx_rows:
            measure(engine, make_xlsx(args.xlsx_rows), args.repeat)
        engine.dispose()


if __name__ == "__main__":
    main()
