"""Time the migrations that re-key stored responses, 0016 and 0007, on a database of imported rows.

    python bench/bench_rekey.py [--rows 100000] [--url sqlite:///bench/out/rekey.db]

Builds the database, imports a generated csv of ``--rows`` responses (with phone, three scores, a
comment and an attribute rating), then steps back to the revision before each migration (whose
downgrades change nothing) and times its upgrade: 0016 (recomputes every imported row's key, writes the
changed ones: here none, as on a database that never had customers merged by 0008) and 0007 (every
imported row re-keyed whatever key it had), printed with their ratio. The machine may be shared: the
figures are upper bounds for an idle one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from sqlalchemy import text

from cem_core.db import alembic_config, make_engine
from cem_core.ingest.load import import_file
from tests.fixtures.ingest_files import write_csv

HEADER = ["提交时间", "推荐度", "满意度", "意见", "手机号", "门店", "渠道", "服务态度"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--url", default="sqlite:///bench/out/rekey.db")
    args = ap.parse_args()
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    engine = make_engine(args.url)
    command.upgrade(alembic_config(engine), "head")
    rows = [[f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i % 59:02d}", str(i % 11),
             str(1 + i % 5), f"意见 {i}", f"139{i % 50_000:08d}", "上海", "微信小程序", str(1 + i % 5)]
            for i in range(args.rows)]
    report = import_file(engine, write_csv(out / "rekey.csv", HEADER, rows), user="bench")
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM responses")).scalar_one()
    seconds = {}
    for revision in ("0016", "0007"):
        command.downgrade(alembic_config(engine), f"{revision}-1")
        t0 = time.perf_counter()
        command.upgrade(alembic_config(engine), revision)
        seconds[revision] = time.perf_counter() - t0
        print(f"{engine.dialect.name}: {n:,} responses ({report.rows_imported:,} imported), migration {revision} in "
              f"{seconds[revision]:.1f} s ({n / seconds[revision]:,.0f} rows/s)", flush=True)
    print(f"0016 / 0007: {seconds['0016'] / seconds['0007']:.2f}")


if __name__ == "__main__":
    main()
