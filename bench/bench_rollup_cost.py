"""What each rollup costs its writer: one batch's rollups recomputed, part by part, on an existing database.

    python bench/bench_rollup_cost.py --url sqlite:////tmp/scale/d300k.db [--batch ID]

Every writer calls ``analyze.rollup.add_batch`` in its transaction after inserting a batch's rows. This
runs the parts of that call for the largest (or the given) batch inside a transaction that is rolled
back, and prints each part's seconds and its ratio to the reference full scan of the same run
(``bench/ratios.py``): the day rollup, the month cells, the rating cells, the key-driver moments,
and the batch's row count for the coverage record.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.ratios import reference
from cem_core.analyze import cells, moments, rollup
from cem_core.db import make_engine
from cem_core.db.models import Response, ResponseRollup, analysis_rollup, driver_rollup, rating_rollup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--batch", type=int)
    args = ap.parse_args()
    unit = reference(args.url)
    engine = make_engine(args.url)
    r = Response.__table__
    with engine.connect() as conn:
        batch_id, rows = args.batch, None
        if batch_id is None:
            batch_id, rows = conn.execute(select(r.c.batch_id, func.count()).group_by(r.c.batch_id).order_by(
                func.count().desc()).limit(1)).one()
        print(f"batch {batch_id}: {rows or '?'} rows")
        conn.rollback()
        trans = conn.begin()
        for table in (ResponseRollup.__table__, analysis_rollup, rating_rollup, driver_rollup):
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        for label, part in (("day rollup (response_rollup)", lambda: rollup.add_day_rollup(conn, batch_id)),
                            ("month cells", lambda: cells.add_cells(conn, batch_id)),
                            ("rating cells", lambda: cells.add_rating_cells(conn, batch_id)),
                            ("key-driver moments", lambda: moments.add_batch(conn, batch_id)),
                            ("coverage row count", lambda: conn.execute(select(func.count()).where(
                                r.c.batch_id == batch_id)).scalar_one())):
            t0 = time.perf_counter()
            part()
            took = time.perf_counter() - t0
            print(f"{label:<32} {took:8.2f} s  {took / unit:7.1f} scans")
        trans.rollback()
    engine.dispose()


if __name__ == "__main__":
    main()
