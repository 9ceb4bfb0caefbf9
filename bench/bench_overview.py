"""Time the executive overview's queries at 1M responses: cold, warm SQL and warm through the app's cache.

    python bench/bench_overview.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

Creates the database with the demo generator when it is missing (``bench/demo_db.py``, shared with
bench_analysis.py). "Cold" is the
first overview on a new engine in this process (the OS file cache may still hold the file); "warm SQL"
the median of 5 further runs of the same SQL; "warm cached" a rerun served by ``cem_core.ui.cache``,
which is what a Streamlit rerun with unchanged filters costs. Targets: cold <= 2 s, warm <= 0.3 s.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.demo_db import setup
from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import Filters
from cem_core.db import make_engine

TARGET_COLD, TARGET_WARM = 2.0, 0.3
CASES = {
    "no filter (last 12 months)": Filters(),
    "channel = SMS survey": Filters(channels=("sms_survey",)),
    "region + segment": Filters(regions=("华东",), segments=("VIP",)),
    "one quarter": Filters(date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 30)),
}


def main() -> None:
    args, cache = setup(__doc__.splitlines()[0])

    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}")
    print(f"{'case':<28} {'cold s':>8} {'warm SQL s':>11} {'warm cached s':>14}  verdict")
    for name, f in CASES.items():
        engine = make_engine(args.url)
        t0 = time.perf_counter()
        build_overview(engine, f, "zh")
        cold = time.perf_counter() - t0
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            build_overview(engine, f, "zh")
            runs.append(time.perf_counter() - t0)
        warm_sql = statistics.median(runs)
        cache.query(build_overview, f, "zh")
        t0 = time.perf_counter()
        cache.query(build_overview, f, "zh")
        warm_cached = time.perf_counter() - t0
        ok = cold <= TARGET_COLD and warm_cached <= TARGET_WARM
        print(f"{name:<28} {cold:8.3f} {warm_sql:11.3f} {warm_cached:14.4f}  "
              f"{'OK' if ok else 'SLOW'} (cold {cold / TARGET_COLD:.2f}x of target, "
              f"warm {warm_cached / TARGET_WARM:.3f}x)")
        engine.dispose()


if __name__ == "__main__":
    main()
