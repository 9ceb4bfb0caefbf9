"""Time the executive overview's queries at 1M responses: cold, warm SQL and warm through the app's cache.

    python bench/bench_overview.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

Creates the database with the demo generator when it is missing (``bench/demo_db.py``, shared with
bench_analysis.py). "Cold" is the
first overview on a new engine in this process (the OS file cache may still hold the file); "warm SQL"
the median of 5 further runs of the same SQL; "warm cached" a rerun served by ``cem_core.ui.cache``,
which is what a Streamlit rerun with unchanged filters costs; for the typical filters
"chg" is the first call with them on an engine that has just served the default settings (a filter change
on a running server). Times are printed as ratios to the
reference full scan of the same run too (``bench/ratios.py``): goals <= 1.0 cold with default settings,
<= 0.25 for one channel, one quarter, region + segment.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.demo_db import setup
from bench.ratios import GOAL_DEFAULT, GOAL_TYPICAL, HEADER, TYPICAL, line, reference
from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import Filters

CASES = {"no filter (last 12 months)": (Filters(), GOAL_DEFAULT),
         **{name: (f, GOAL_TYPICAL) for name, f in TYPICAL.items()}}


def main() -> None:
    args, cache = setup(__doc__.splitlines()[0])
    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}  "
          f"{dt.datetime.now():%Y-%m-%d %H:%M} (shared machine: compare ratios, not seconds)")
    reference(args.url)
    print(HEADER)
    over = 0
    for name, (f, goal) in CASES.items():
        default = None if goal == GOAL_DEFAULT else (Filters(), "zh")
        over += not line(args.url, f"overview: {name}", goal, build_overview, f, "zh", default=default)
        cache.query(build_overview, f, "zh")
        t0 = time.perf_counter()
        cache.query(build_overview, f, "zh")
        print(f"   (a rerun served by the app's cache: {time.perf_counter() - t0:.4f} s)")
    print(f"{'all within goals' if not over else f'{over} over goal'}")


if __name__ == "__main__":
    main()
