"""Act benchmark: routing's share of a large import, the Actions page's queries, a 10k-item export.

    python bench/bench_actions.py [--rows 1000000] [--pg postgresql+psycopg://...|''] [--pg-db NAME]
                                  [--dir /tmp/bench_actions] [--reuse]

The csv is bench_import's realistic feedback plus a journey stage and touchpoint per row, with a
realistic score mix (25 % detractors, 70 % leave a phone), so both shipped rules fire: detractor
call-backs and negative comments to the touchpoint's owner. For each database:

1. the import with routing off (the baseline), then the routing the import hook runs, timed on its own
   over the same batch in one transaction: overhead = routing / import (target <= 10 %);
2. the routed items then get the demo's life (``act.demo.give_lives``: most old items closed, some
   reopened, contacts, resolutions, one in ten late), so the figures are measured over items in every
   state, not over untouched open ones;
3. each Actions-page query cold (a new engine) and warm, next to the reference full scan of the
   responses measured just before it (``ratios.line``): figures, weekly trend, the work list and the
   overdue list (all departments and one), an item's detail (target <= 1 s cold each at >= 100k items);
4. exporting 10,000 open items of one department to xlsx (target <= 5 s), next to writing the same
   number of cells with openpyxl's write-only mode as the baseline.
Machine shared with other jobs: compare the ratios, not the seconds, across runs. ``--reuse`` keeps the
database (``--dir``/actions_<rows>.db, or the Postgres database ``--pg-db``) and skips steps 1-2 when it
is already there, to measure the queries again.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT_DIR = Path("/tmp/bench_actions")
OUT = DEFAULT_DIR  # --dir
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


def load(url: str, csv: Path) -> None:
    """Steps 1-2: import with routing off, route the batch (timed), give the items their lives."""
    from sqlalchemy import func, select

    from cem_core.act.demo import give_lives
    from cem_core.act.rules import load_rules, route, save_rules
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
    with write_transaction(engine) as conn:
        last = conn.execute(select(func.max(ActionItem.created_at))).scalar_one()
        give_lives(conn, report.batch_id, seed=5, present=last + dt.timedelta(days=1))
    engine.dispose()


def measure(url: str) -> None:
    """Steps 3-4 on a loaded database."""
    import openpyxl
    from ratios import reference
    from ratios import timed as cold_warm
    from sqlalchemy import func, select, text

    from cem_core.act.excel import export_workbook
    from cem_core.act.figures import loop_figures, weekly_trend
    from cem_core.act.worklist import ItemFilter, item_detail, work_list
    from cem_core.auth.roles import User
    from cem_core.db import make_engine, write_transaction
    from cem_core.db.models import ActionItem

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":  # what autovacuum does after a load (this server runs with it off)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE action_items, action_rollup, action_contact_hist"))
    engine.dispose()
    with make_engine(url).connect() as conn:
        states = dict(conn.execute(text("SELECT status, count(*) FROM action_items GROUP BY status")).all())
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
    print(f"  Actions page queries at {n_items:,} items ({states});\n  cold = new engine, warm = median of 3, "
          "x = the reference full scan of the responses measured just before:")
    print(f"    {'query':<38} {'cold s':>7} {'warm s':>7} {'scan s':>7} {'cold/x':>7}  target cold <= 1 s", flush=True)
    for label, query in queries.items():
        unit = reference(url, quiet=True)
        cold, warm = cold_warm(url, query)
        print(f"    {label:<38} {cold:7.3f} {warm:7.3f} {unit:7.3f} {cold / unit:7.1f}  "
              f"{'met' if cold <= 1 else 'NOT met'}", flush=True)

    engine = make_engine(url)
    with engine.connect() as conn:  # put back after the export, so a --reuse run measures the same items
        saved = [{"i": i, "s": st} for i, st in conn.execute(
            select(ActionItem.id, ActionItem.status).where(ActionItem.department_id == ops))]
    with write_transaction(engine) as conn:  # leave 10,000 open items in operations for the export
        keep = select(ActionItem.id).where(ActionItem.department_id == ops).order_by(ActionItem.id).limit(10_000)
        kept = keep.compile(compile_kwargs={"literal_binds": True})
        conn.execute(text(f"UPDATE action_items SET status = 'open' WHERE id IN ({kept})"))
        conn.execute(text("UPDATE action_items SET status = 'closed' WHERE department_id = :d AND status <> 'closed' "
                          f"AND id NOT IN ({kept})"), {"d": ops})
    seconds, (data, n) = timed(export_workbook, engine, User("bench", "admin"), ["operations"], "zh")
    base, _ = timed(_openpyxl_baseline, openpyxl, n)
    print(f"  export {n:,} open items to xlsx: {seconds:5.2f} s, {len(data) / 2**20:.1f} MB; baseline (openpyxl "
          f"write-only, same cell count, no styles): {base:5.2f} s = {seconds / base:4.2f}x "
          f"(target <= 5 s: {'met' if seconds <= 5 else 'NOT met'})", flush=True)
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE action_items SET status = :s WHERE id = :i"), saved)
    engine.dispose()


def _openpyxl_baseline(openpyxl, rows: int) -> None:
    """The cheapest usual way to write ``rows`` x 18 cells of mixed values: the export's yardstick."""
    import io

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("x")
    now = dt.datetime(2026, 3, 1, 9)
    for r in range(rows):
        ws.append([r, "运营部", "回访", "高", "前台入住", now, now, "张*", "138****0000", 3, "等太久了" * 5, "待处理",
                   None, None, None, None, 1, "0123456789abcdef"])
    wb.save(io.BytesIO())


def main() -> None:
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default=PG_DEFAULT, help="admin URL of a Postgres server ('' to skip)")
    ap.add_argument("--pg-db", default="", help="Postgres database to use (created if missing; default: a "
                                                  "temporary one, dropped at the end)")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the csv and the SQLite database go")
    ap.add_argument("--reuse", action="store_true", help="keep the databases; skip loading if already loaded")
    ap.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    OUT = args.dir
    csv = make_csv(args.rows)
    if args.sqlite:
        db = OUT / (f"actions_{args.rows}.db" if args.reuse else f"actions_{uuid.uuid4().hex[:8]}.db")
        print(f"SQLite ({args.rows:,} rows)", flush=True)
        try:
            if not (args.reuse and db.exists()):
                load(f"sqlite:///{db}", csv)
            measure(f"sqlite:///{db}")
        finally:
            if not args.reuse:
                for p in OUT.glob(f"{db.name}*"):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
    if args.pg:
        from bench_import import _drop_pg, _pg_database

        name, url = (args.pg_db, _named_pg(args.pg, args.pg_db)) if args.pg_db else _pg_database(args.pg)
        print(f"Postgres ({args.rows:,} rows)", flush=True)
        try:
            if not (args.reuse and _loaded(url)):
                load(url, csv)
            measure(url)
        finally:
            if not args.reuse:
                _drop_pg(args.pg, name)


def _named_pg(admin_url: str, name: str) -> str:
    """The URL of the Postgres database ``name`` on the server of ``admin_url``, created if missing."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _loaded(url: str) -> bool:
    from sqlalchemy import inspect, text

    from cem_core.db import make_engine

    engine = make_engine(url)
    try:
        if "action_items" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM action_items")).scalar_one())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
