"""Time migration 0007 (re-keying stored responses) on a database of imported rows.

    python bench/bench_rekey.py [--rows 100000] [--url sqlite:///bench/out/rekey.db]

Builds the database, imports a generated csv of ``--rows`` responses (with phone, three scores, a
comment and an attribute rating), steps back to the revision before 0007 (whose downgrade changes
nothing), then times ``alembic upgrade 0007``: every imported row is re-keyed whatever key it had. The machine may
be shared: the figure is an upper bound for an idle one.
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
    command.downgrade(alembic_config(engine), "0007-1")
    t0 = time.perf_counter()
    command.upgrade(alembic_config(engine), "0007")
    seconds = time.perf_counter() - t0
    print(f"{engine.dialect.name}: {n:,} responses ({report.rows_imported:,} imported) re-keyed in {seconds:.1f} s "
          f"({n / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
