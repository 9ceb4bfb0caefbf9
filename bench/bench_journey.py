"""Time the journey page's queries at 1M responses against a plain full scan measured in the same run.

    python bench/bench_journey.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

The reference is ``SELECT count(*), sum(nps), sum(csat), sum(spend) FROM responses``: one read of every
row. Each journey query is reported cold (first run on a new engine), warm (median of 3) and as a ratio
of the reference; the plan line counts how often the query reads the ``responses`` table (SQLite's
EXPLAIN QUERY PLAN: SCAN/SEARCH of responses). Targets: cold <= 2 s, at most one full scan.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.demo_db import setup
from cem_core.analyze.overview import default_window
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine
from cem_core.journey import curve, journeymap, peakend

REFERENCE = "SELECT count(*), sum(nps), sum(csat), sum(spend) FROM responses"
TARGET_COLD = 2.0

QUERIES = [
    ("peak-end analysis", peakend.peak_end, ("csat",), lambda f: peakend._summary_sql(f, "csat")),
    ("journey map (touchpoints)", journeymap.touchpoint_map, (), None),
    ("emotion curve (csat)", curve.emotion_curve, ("csat",), None),
]


def _time(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def _reference(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text(REFERENCE)).all()


def _response_reads(engine, stmt) -> list[str]:
    """Plan lines of a statement that read the responses table (SQLite only)."""
    if engine.dialect.name != "sqlite":
        return []
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    return [p for p in plan if ("SCAN" in p or "SEARCH" in p) and "responses" in p.split(" USING")[0]]


def main() -> None:
    args, _cache = setup(__doc__.splitlines()[0])
    engine = make_engine(args.url)
    lo, hi = date_bounds(engine)
    engine.dispose()
    cases = {"all dates": Filters(), "last 12 months (page default)": Filters().with_dates(*default_window(lo, hi)),
             "12 months, segment VIP": Filters(segments=("VIP",)).with_dates(*default_window(lo, hi))}
    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}  (machine shared)")
    slow = 0
    for case, f in cases.items():
        engine = make_engine(args.url)
        ref_cold = _time(_reference, engine)
        ref = statistics.median(_time(_reference, engine) for _ in range(3))
        engine.dispose()
        print(f"\n== {case}   reference full scan: cold {ref_cold:.3f} s, warm {ref:.3f} s")
        print(f"{'query':<28} {'cold s':>7} {'warm s':>7} {'x scan':>7}  reads of responses")
        for label, fn, extra, sql in QUERIES:
            engine = make_engine(args.url)
            cold = _time(fn, engine, f, *extra)
            warm = statistics.median(_time(fn, engine, f, *extra) for _ in range(3))
            reads = _response_reads(engine, sql(f)) if sql else []
            engine.dispose()
            slow += cold > TARGET_COLD
            print(f"{label:<28} {cold:7.3f} {warm:7.3f} {warm / ref:7.1f}  {'; '.join(reads) or '-'}")
    print(f"\n{'all within' if not slow else f'{slow} over'} the cold target ({TARGET_COLD} s) "
          f"at {dt.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
