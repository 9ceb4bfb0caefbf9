"""Act benchmark: routing's share of a large import, the Actions page's queries, a 10k-item export.

    python bench/bench_actions.py [--rows 1000000] [--pg postgresql+psycopg://...|'']

The csv is bench_import's realistic feedback plus a journey stage and touchpoint per row, with a
realistic score mix (25 % detractors, 70 % leave a phone), so both shipped rules fire: detractor
call-backs and negative comments to the touchpoint's owner. For each database:

1. the import with routing off (the baseline), then the routing the import hook runs, timed on its own
   over the same batch in one transaction: overhead = routing / import (target <= 10 %);
2. each Actions-page query cold (a new engine): figures, weekly trend, the work list and the overdue
   list (all departments and one), an item's detail (target <= 1 s each at >= 100k items);
3. exporting 10,000 open items of one department to xlsx (target <= 5 s).
Machine shared with other jobs: compare the ratio, not the seconds, across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
OUT = Path(__file__).resolve().parent / "out"
PG_DEFAULT = os.environ.get("CEM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOUCHPOINTS = [("入住", "前台入住"), ("住宿", "客房"), ("住宿", "早餐"), ("住宿", "无线网络"), ("退房", "退房结账"),
               ("预订", "App 预订")]


def make_csv(rows: int) -> Path:
    import numpy as np
    from bench_import import _frame

    path = OUT / f"actions_{rows}.csv"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    frame = _frame(rows, seed=5)
    rng = np.random.default_rng(5)
    frame["推荐度"] = rng.choice(11, rows, p=[.02, .02, .02, .03, .03, .05, .08, .13, .17, .2, .25])
    frame.loc[rng.random(rows) > 0.7, "手机号"] = ""
    pick = rng.integers(0, len(TOUCHPOINTS), rows)
    frame["阶段"] = [TOUCHPOINTS[i][0] for i in pick]
    frame["触点"] = [TOUCHPOINTS[i][1] for i in pick]
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def run(url: str, csv: Path) -> None:
    from sqlalchemy import func, select, text

    from cem_core.act.excel import export_workbook
    from cem_core.act.figures import loop_figures, weekly_trend
    from cem_core.act.rules import load_rules, route, save_rules
    from cem_core.act.worklist import ItemFilter, item_detail, work_list
    from cem_core.auth.roles import User
    from cem_core.db import make_engine, migrate, write_transaction
    from cem_core.db.models import ActionItem
    from cem_core.demo.catalog import INDUSTRIES
    from cem_core.ingest.load import import_file
    from cem_core.reference import ensure_industry

    engine = make_engine(url)
    migrate(engine)
    with write_transaction(engine) as conn:
        ensure_industry(conn, INDUSTRIES["hotel"])
        rules = load_rules(conn)
    save_rules(engine, [dataclasses.replace(r, enabled=False) for r in rules], actor="bench")
    seconds, report = timed(import_file, engine, csv, user="bench", source="sms_survey")
    print(f"  import {report.rows_imported:,} rows, routing off: {seconds:6.1f} s", flush=True)
    save_rules(engine, rules, actor="bench")
    with write_transaction(engine) as conn:
        routing, result = timed(route, conn, batch_id=report.batch_id)
    share = 100 * routing / seconds
    print(f"  routing inside the import's transaction: {routing:5.1f} s for {result.total:,} items "
          f"= {share:4.1f} % of the import (target <= 10 %: {'met' if share <= 10 else 'NOT met'})", flush=True)
    engine.dispose()

    with make_engine(url).connect() as conn:
        n_items = conn.execute(select(func.count()).select_from(ActionItem)).scalar_one()
        ops, some = conn.execute(text("SELECT d.id, min(i.id) FROM action_items i JOIN departments d "
                                      "ON d.id = i.department_id WHERE d.code = 'operations' GROUP BY d.id")).one()
    queries = {
        "figures (all departments)": lambda e: loop_figures(e, "zh"),
        "figures (one department)": lambda e: loop_figures(e, "zh", scope={ops}),
        "weekly trend": lambda e: weekly_trend(e),
        "work list, open, 500 most urgent": lambda e: work_list(e, ItemFilter(statuses=("open", "in_progress")),
                                                                "zh", scope=None),
        "work list, overdue, one department": lambda e: work_list(e, ItemFilter(overdue_only=True), "zh",
                                                                  scope={ops}),
        "item detail": lambda e: item_detail(e, some, "zh", scope=None),
    }
    print(f"  Actions page queries at {n_items:,} items, each cold (new engine):", flush=True)
    for label, query in queries.items():
        engine = make_engine(url)
        seconds, _ = timed(query, engine)
        engine.dispose()
        print(f"    {label:<38} {seconds:6.2f} s  (target <= 1 s: {'met' if seconds <= 1 else 'NOT met'})",
              flush=True)

    engine = make_engine(url)
    with write_transaction(engine) as conn:  # leave 10,000 open items in operations for the export
        keep = select(ActionItem.id).where(ActionItem.department_id == ops).order_by(ActionItem.id).limit(10_000)
        conn.execute(text("UPDATE action_items SET status = 'closed' WHERE department_id = :d AND id NOT IN "
                          f"({keep.compile(compile_kwargs={'literal_binds': True})})"), {"d": ops})
    seconds, (data, n) = timed(export_workbook, engine, User("bench", "admin"), ["operations"], "zh")
    print(f"  export {n:,} open items to xlsx: {seconds:5.2f} s, {len(data) / 2**20:.1f} MB "
          f"(target <= 5 s: {'met' if seconds <= 5 else 'NOT met'})", flush=True)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default=PG_DEFAULT, help="admin URL of a Postgres server ('' to skip)")
    args = ap.parse_args()
    csv = make_csv(args.rows)
    db = OUT / f"actions_{uuid.uuid4().hex[:8]}.db"
    print(f"SQLite ({args.rows:,} rows)", flush=True)
    try:
        run(f"sqlite:///{db}", csv)
    finally:
        for p in OUT.glob(f"{db.name}*"):
            p.unlink()
    if args.pg:
        from bench_import import _drop_pg, _pg_database

        name, url = _pg_database(args.pg)
        print(f"Postgres ({args.rows:,} rows)", flush=True)
        try:
            run(url, csv)
        finally:
            _drop_pg(args.pg, name)


if __name__ == "__main__":
    main()
