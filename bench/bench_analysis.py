"""Time the analysis page's queries at 1M responses: cold, warm SQL, and warm through the app's cache.

    python bench/bench_analysis.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

The database is made by ``bench/demo_db.py`` (shared with bench_overview.py) when missing, and
migrated to head either way, so the analysis indexes are in place. Each line is what one tab (or drill-down) runs
with its default settings. "Cold" is the first run on a new engine in this process (the OS file cache
may still hold the file), "warm SQL" the median of 3 more runs, "warm cached" a rerun served by
``cem_core.ui.cache`` (a Streamlit rerun with unchanged filters); for the typical
filters "chg" is the first call with them on an engine that has just served the page's default settings (a
filter change on a running server). Each time is also printed as a ratio to
the reference full scan measured in the same run (``bench/ratios.py``): goals <= 1.0 cold with default
settings, <= 0.25 for one channel, one quarter, region + segment.
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
from cem_core.analyze import distributions, drivers, matrix, segments, trends
from cem_core.analyze.drilldown import Drill, drill_count, drill_page
from cem_core.analyze.overview import default_window
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine

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
    page_default = Filters().with_dates(*default_window(lo, hi))
    cases = {"last 12 months (page default)": (page_default, GOAL_DEFAULT),
             "all dates": (Filters(), GOAL_DEFAULT),
             **{name: (f, GOAL_TYPICAL) for name, f in TYPICAL.items()}}
    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}  "
          f"{dt.datetime.now():%Y-%m-%d %H:%M} (shared machine: compare ratios, not seconds)")
    reference(args.url)
    over = 0
    for case, (f, goal) in cases.items():
        print(f"\n== {case}\n{HEADER}")
        for label, fn, extra in QUERIES:
            default = None if goal == GOAL_DEFAULT else (page_default, *extra)
            over += not line(args.url, label, goal, fn, f, *extra, default=default)
        cache.query(QUERIES[0][1], f, *QUERIES[0][2])
        t0 = time.perf_counter()
        cache.query(QUERIES[0][1], f, *QUERIES[0][2])
        print(f"(a rerun served by the app's cache: {time.perf_counter() - t0:.4f} s)")
    reference(args.url)
    print(f"\n{'all within goals' if not over else f'{over} over goal'}")


if __name__ == "__main__":
    main()
