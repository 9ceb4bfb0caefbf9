"""10M demo responses on Postgres (issue 17): load time by phase, peak memory, every page query cold.

    python bench/bench_scale.py [--rows 10000000] [--db cem_scalebench_10m] [--keep]

1. Drops and recreates the database ``--db`` on 127.0.0.1:5432, migrates it, and loads ``--rows`` demo
   responses in a child process through ``load_demo(offline=True)`` (numpy-rendered COPY, ``PART`` rows at a
   time, secondary indexes rebuilt at the end, every rollup kept, ``ANALYZE`` after). Prints the seconds of
   each phase the loader reports, rows per second, and the extrapolation to 10M rows; the child's peak RSS
   (``getrusage(RUSAGE_CHILDREN)``) and the highest RSS of the Postgres backends serving the database
   (``VmHWM`` from /proc, sampled each second: it counts the shared buffers a backend touched).
2. Every overview and analysis query (the lists of bench_overview.py and bench_analysis.py) cold (first
   call on a new engine) and warm, each as a ratio to the reference scan of the same run; goal <= 2 s cold.
3. Row counts and ``pg_total_relation_size`` of the rows and of every rollup.

``--keep``: skip step 1 and measure an existing database. Shared machine: record ``/proc/loadavg``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text

from bench.bench_analysis import QUERIES
from bench.bench_overview import CASES as OVERVIEW_CASES
from bench.ratios import GOAL_DEFAULT, REFERENCE_SQL, TYPICAL, reference, timed
from cem_core.analyze.overview import build_overview, default_window
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine, migrate
from cem_core.demo.generator import load_demo

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
GOAL_SECONDS = 2.0
SLOW_SECONDS = 2.0  # the load's statements that took at least this long are printed with their time
TABLES = ("responses", "ratings", "customers", "response_text", "response_rollup", "analysis_rollup",
          "rating_rollup", "driver_rollup", "journey_rollup", "curve_rollup", "rollup_coverage",
          "text_term_rollup", "text_topic_rollup", "text_term_cell", "text_topic_cell", "action_items")


def load_child(url: str, rows: int) -> None:
    """The child process: load and print each phase's end as JSON lines (the parent times nothing)."""
    engine = make_engine(url)
    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def progress(_frac: float, stage: str) -> None:
        if stage == "write":  # after each part: the loader's peak must not grow with the parts
            print(json.dumps({"part_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}), flush=True)
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter() - t0))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # MB so far: which phase holds memory
            print(json.dumps({"stage": stage, "t": marks[-1][1], "load": _load(), "peak_mb": peak}), flush=True)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, _cursor, _stmt, _params, _context, _many) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _slow(conn, _cursor, stmt, _params, _context, _many) -> None:  # which statement a phase's time went to
        spent = time.perf_counter() - conn.info.pop("started", time.perf_counter())
        if spent >= SLOW_SECONDS:
            print(json.dumps({"slow": round(spent, 1), "sql": " ".join(stmt.split())[:110]}), flush=True)

    load_demo(engine, rows=rows, seed=17, progress=progress, offline=True)
    engine.dispose()


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _backend_hwm(admin, db: str, peak: list[int], stop: threading.Event) -> None:
    """Highest VmHWM (kB) of the backends connected to ``db``, sampled until ``stop``."""
    while not stop.wait(1.0):
        with admin.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": db}).scalars()
            for pid in pids:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
                peak[0] = max(peak[0], hwm)


def load(db: str, rows: int) -> None:
    admin = create_engine(f"{SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = f"{SERVER}/{db}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=_backend_hwm, args=(admin, db, peak, stop), daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    lines = []
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a chatty child must not block on it
        child = subprocess.Popen([sys.executable, __file__, "--child", url, str(rows)], stdout=subprocess.PIPE,
                                 stderr=errors, text=True)
        for line in child.stdout:  # echoed as they come, with the time: a run stopped midway shows its pace
            if line.startswith("{"):
                lines.append(json.loads(line))
                print(f"  {time.perf_counter() - t0:7.1f} s  {line.strip()}", file=sys.stderr, flush=True)
        total = time.perf_counter() - t0
        stop.set()
        watcher.join()
        if child.wait():
            errors.seek(0)
            sys.exit(f"load failed:\n{errors.read()[-3000:]}")
    marks = [m for m in lines if "stage" in m]
    parts = [m["part_peak_mb"] for m in lines if "part_peak_mb" in m]
    print(f"load of {rows:,} demo responses: {total:.1f} s total ({rows / total:,.0f} rows/s); "
          f"10M extrapolated linearly: {total * 10_000_000 / rows / 60:.1f} min (goal <= 10 min)")
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"loader peak RSS (MB) after each part of {len(parts)}: {', '.join(f'{p:,}' for p in parts)}")
    print(f"{'phase':<10} {'s':>8} {'share':>6} {'peak MB':>8}  loadavg at its end")
    ends = [*marks[1:], {"t": total, "load": _load(), "peak_mb": child_kb // 1024}]
    for mark, after in zip(marks, ends, strict=True):
        spent = after["t"] - mark["t"]
        print(f"{mark['stage']:<10} {spent:8.1f} {spent / total:6.0%} {after['peak_mb']:8,}  {after['load']}")
    for slow in (m for m in lines if "slow" in m):
        print(f"  statement {slow['slow']:7.1f} s  {slow['sql']}")
    print(f"peak RSS: loader process {child_kb / 1024:.0f} MB; Postgres backend (VmHWM, incl. shared buffers "
          f"touched) {peak[0] / 1024:.0f} MB")
    admin.dispose()


def queries(url: str) -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    engine = make_engine(url)
    lo, hi = date_bounds(engine)
    engine.dispose()
    analysis_cases = {"last 12 months (page default)": Filters().with_dates(*default_window(lo, hi)),
                      "all dates": Filters(), **TYPICAL}  # the cases of bench_analysis.py
    runs = [("overview: " + name, build_overview, f, ("zh",)) for name, (f, _g) in OVERVIEW_CASES.items()]
    runs += [(f"{case}: {label}", fn, f, extra) for case, f in analysis_cases.items() for label, fn, extra in QUERIES]
    unit = reference(url)
    print(f"{'query':<72} {'cold s':>7} {'warm s':>7} {'cold/x':>7}  goal cold <= {GOAL_SECONDS} s")
    over = 0
    for i, (label, fn, f, extra) in enumerate(runs):
        if i and i % 10 == 0:  # the machine's load drifts: measure the unit again now and then
            unit = reference(url, quiet=True)
        cold, warm = timed(url, fn, f, *extra)
        ok = cold <= GOAL_SECONDS
        over += not ok
        print(f"{label[:72]:<72} {cold:7.3f} {warm:7.3f} {cold / unit:7.2f}  {'OK' if ok else 'OVER'}"
              f"{'' if cold / unit <= GOAL_DEFAULT else ' (> 1 scan)'}")
    reference(url)
    print(f"{len(runs) - over} of {len(runs)} queries <= {GOAL_SECONDS} s cold; loadavg {_load()}")


def sizes(url: str) -> None:
    engine = create_engine(url)
    print(f"{'table':<20} {'rows':>12} {'MB':>9}")
    with engine.connect() as conn:
        for table in TABLES:
            n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            mb = conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar_one() / 2**20
            print(f"{table:<20} {n:>12,} {mb:>9.1f}")
    engine.dispose()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        load_child(sys.argv[2], int(sys.argv[3]))
        return
    sys.stdout.reconfigure(line_buffering=True)  # into a file too: a run stopped by a time limit keeps its lines
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--db", default="cem_scalebench_10m")
    ap.add_argument("--keep", action="store_true", help="measure the existing database, no load")
    ap.add_argument("--no-queries", action="store_true", help="only the load (generation speed at 200k-1M)")
    args = ap.parse_args()
    print(f"database: {args.db}  rows: {args.rows:,}  cpus: {os.cpu_count()}  {dt.datetime.now():%Y-%m-%d %H:%M}  "
          f"loadavg {_load()}  reference: {REFERENCE_SQL}")
    if not args.keep:
        load(args.db, args.rows)
    if not args.no_queries:
        queries(f"{SERVER}/{args.db}")
    sizes(f"{SERVER}/{args.db}")


if __name__ == "__main__":
    main()
