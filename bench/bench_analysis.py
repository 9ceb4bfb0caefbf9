"""Time the analysis page's queries at 1M responses: cold, warm SQL, and warm through the app's cache.

    python bench/bench_analysis.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

The database is made by ``bench/demo_db.py`` (shared with bench_overview.py) when missing, and
migrated to head either way, so the analysis indexes are in place. Each line is what one tab (or drill-down) runs
with its default settings. "Cold" is the first run on a new engine in this process (the OS file cache
may still hold the file), "warm SQL" the median of 3 more runs, "warm cached" a rerun served by
``cem_core.ui.cache`` (a Streamlit rerun with unchanged filters). Targets: cold <= 2 s, warm <= 0.5 s.
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
from cem_core.analyze import distributions, drivers, matrix, segments, trends
from cem_core.analyze.drilldown import Drill, drill_count, drill_page
from cem_core.analyze.overview import default_window
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine

TARGET_COLD, TARGET_WARM = 2.0, 0.5

#: (label, function, extra arguments): what each tab runs with its defaults.
QUERIES = [
    ("histograms + spend (NPS/CSAT/CES)", distributions.score_cube, (None,)),
    ("histogram NPS split by stage", distributions.score_cube, ("stage", "nps")),
    ("histogram NPS split by region", distributions.score_cube, ("region", "nps")),
    ("attribute rating histograms", drivers.attribute_histogram, ("zh",)),
    ("key drivers (relative weights)", drivers.key_drivers, ("nps", "relative_weights", "mean", "zh")),
    ("heat matrix stage x channel", matrix.heat_matrix, ("stage", "channel", "zh", 30)),
    ("heat matrix region x segment", matrix.heat_matrix, ("region", "segment", "zh", 30)),
    ("trends (daily figures)", trends.daily, ()),
    ("segments by region", segments.segments, ("region", "zh", 30)),
    ("segments by channel", segments.segments, ("channel", "zh", 30)),
    ("drill-down count (cell)", drill_count, (Drill(dims=(("stage", 3), ("channel", 2))),)),
    ("drill-down page 1 (cell)", drill_page, (Drill(dims=(("stage", 3), ("channel", 2))), 0, False, "zh")),
    ("drill-down page 1 (NPS 0-6)", drill_page, (Drill(score=("nps", 0, 6)), 0, False, "zh")),
]


def main() -> None:
    args, cache = setup(__doc__.splitlines()[0])

    engine = make_engine(args.url)
    lo, hi = date_bounds(engine)
    engine.dispose()
    cases = {"last 12 months (page default)": Filters().with_dates(*default_window(lo, hi)),
             "all dates": Filters(),
             "12 months, channel + region": Filters(channels=("sms_survey", "app"), regions=("华东",)).with_dates(
                 *default_window(lo, hi))}
    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}")
    slow = 0
    for case, f in cases.items():
        print(f"\n== {case}")
        print(f"{'query':<36} {'cold s':>7} {'warm SQL s':>11} {'warm cached s':>14}  verdict")
        for label, fn, extra in QUERIES:
            engine = make_engine(args.url)
            t0 = time.perf_counter()
            fn(engine, f, *extra)
            cold = time.perf_counter() - t0
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                fn(engine, f, *extra)
                runs.append(time.perf_counter() - t0)
            engine.dispose()
            cache.query(fn, f, *extra)
            t0 = time.perf_counter()
            cache.query(fn, f, *extra)
            warm = time.perf_counter() - t0
            ok = cold <= TARGET_COLD and warm <= TARGET_WARM
            slow += not ok
            print(f"{label:<36} {cold:7.3f} {statistics.median(runs):11.3f} {warm:14.4f}  {'OK' if ok else 'SLOW'}")
    print(f"\n{'all within targets' if not slow else f'{slow} over target'} "
          f"(cold <= {TARGET_COLD} s, warm cached <= {TARGET_WARM} s) at {dt.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
