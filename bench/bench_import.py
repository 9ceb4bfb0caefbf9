"""Import benchmark: 1M-row csv into SQLite and Postgres, 200k-row xlsx, against the floor.

    python bench/bench_import.py [--rows 1000000] [--xlsx-rows 200000] [--pg postgresql+psycopg://...]

Generates realistic files into bench/out/ once (Chinese comments of ~30 characters, phones with leading
zeros, three attribute ratings, channel names in Chinese), then runs every measurement in a fresh
subprocess so its peak RSS (with its workbook parser's, ``ingest.sheets``) is its own. The floor is what no importer can
beat by much: pandas.read_csv of the same file plus sqlite3 ``executemany`` of the same rows into a
plain table in one transaction.
Targets (issue 3): SQLite 1M <= 60 s with peak RSS <= 2 GB; xlsx 200k <= 15 s; Postgres 1M <= 45 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "out"
PG_DEFAULT = os.environ.get("CEM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HEADER = ["提交时间", "推荐度", "满意度", "意见", "手机号", "会员号", "门店", "渠道", "服务态度", "速度", "价格"]
TARGETS = {"sqlite_csv": 60.0, "xlsx": 15.0, "postgres_csv": 45.0}


def _frame(rows: int, seed: int = 1):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array(["前台服务很热情", "入住等待时间太长", "房间干净整洁", "早餐种类不多", "价格偏高但值得",
                      "客服电话打不通", "停车很方便", "空调有噪音", "下次还会再来", "退房很快"])
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s")
    comment = (pd.Series(words[rng.integers(0, 10, rows)]) + "，" + pd.Series(words[rng.integers(0, 10, rows)])
               + "，" + pd.Series(words[rng.integers(0, 10, rows)]) + "。")
    return pd.DataFrame({
        "提交时间": day.strftime("%Y-%m-%d %H:%M:%S"),
        "推荐度": rng.integers(0, 11, rows),
        "满意度": rng.integers(1, 6, rows),
        "意见": comment,
        "手机号": "0" + pd.Series(rng.integers(13_000_000_000, 13_999_999_999, rows)).astype(str),
        "会员号": "M" + pd.Series(rng.integers(0, rows // 2 + 1, rows)).astype(str),
        "门店": np.array(["上海", "北京", "广州", "深圳", "成都", "武汉"])[rng.integers(0, 6, rows)],
        "渠道": np.array(["短信调研", "微信小程序", "App 内问卷", "微博", "点评网站"])[rng.integers(0, 5, rows)],
        "服务态度": rng.integers(1, 6, rows), "速度": rng.integers(1, 6, rows), "价格": rng.integers(1, 6, rows),
    })


def make_csv(rows: int) -> Path:
    path = OUT / f"import_{rows}.csv"
    if not path.exists():
        _frame(rows).to_csv(path, index=False, encoding="utf-8")
    return path


def make_xlsx(rows: int) -> Path:
    path = OUT / f"import_{rows}.xlsx"
    if not path.exists():
        import xlsxwriter

        frame = _frame(rows, seed=2)
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("反馈")
        ws.write_row(0, 0, HEADER)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            ws.write_row(i, 0, row)
        wb.close()
    return path


# ---------------------------------------------------------------- measurements (each in its own process)

def run_floor(path: str) -> dict:
    import pandas as pd

    t0 = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    db = OUT / f"floor_{uuid.uuid4().hex[:8]}.db"
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(frame.shape[1]))})")
    with conn:
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * frame.shape[1])})",
                         frame.itertuples(index=False, name=None))
    conn.close()
    seconds = time.perf_counter() - t0
    db.unlink()
    return {"seconds": seconds, "rows": len(frame)}


def run_import(path: str, url: str) -> dict:
    from cem_core.db import make_engine, migrate
    from cem_core.ingest.load import import_file

    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    report = import_file(engine, Path(path), user="bench", source="sms_survey")
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {"seconds": seconds, "rows": report.rows_imported, "status": report.status,
            "skipped": report.rows_skipped}


def _child(kind: str, *args: str) -> dict:
    os.sync()  # start on a quiet disk: not while the last measurement's gigabyte is still being written back
    proc = subprocess.run([sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _pg_database(admin_url: str, name: str | None = None) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = name or f"cem_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _line(label: str, res: dict, floor: float | None, target: float | None) -> None:
    rate = res["rows"] / res["seconds"] if res["seconds"] else 0
    parts = [f"{label:<28} {res['seconds']:7.1f} s  {rate:>10,.0f} rows/s  peak RSS {res['rss_mb']:6,.0f} MB"]
    if res.get("child_mb"):
        parts.append(f"(of which workbook parser {res['child_mb']:,.0f} MB)")
    if "cpu_s" in res:
        parts.append(f"CPU {res['cpu_s']:.1f} s" + (f" + parser {res['child_cpu_s']:.1f} s" if res.get("child_cpu_s")
                                                     else ""))
    if floor:
        parts.append(f"{res['seconds'] / floor:4.1f}x floor")
    if target:
        parts.append(f"target <= {target:.0f} s: {'met' if res['seconds'] <= target else 'NOT met'}")
    print("  ".join(parts), flush=True)


def _fresh_sqlite(name: str) -> str:
    db = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=200_000)
    ap.add_argument("--pg", default=PG_DEFAULT, help="admin URL of a Postgres server ('' to skip)")
    ap.add_argument("--pg-only", action="store_true", help="measure the floor and the Postgres import only")
    ap.add_argument("--pg-db", default=None, metavar="NAME",
                    help="name of the database created (and dropped) for the Postgres run; default random")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        result = run_floor(*rest) if kind == "floor" else run_import(*rest)
        # A workbook is parsed in a child process (cem_core.ingest.sheets): its peak counts too. The sum
        # of the two peaks is an upper bound of the import's memory at any one moment.
        result["child_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        # CPU seconds of each process: on a shared machine they say what wall times cannot
        for who, key in ((resource.RUSAGE_SELF, "cpu_s"), (resource.RUSAGE_CHILDREN, "child_cpu_s")):
            usage = resource.getrusage(who)
            result[key] = usage.ru_utime + usage.ru_stime
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + result["child_mb"]
        print(json.dumps(result))
        return

    OUT.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    csv_path = make_csv(args.rows)
    xlsx_path = None if args.pg_only else make_xlsx(args.xlsx_rows)
    print(f"files ready in {time.perf_counter() - t0:.1f} s: {csv_path.name} "
          f"({csv_path.stat().st_size / 1024**2:,.0f} MB)"
          + (f", {xlsx_path.name} ({xlsx_path.stat().st_size / 1024**2:,.0f} MB)" if xlsx_path else ""), flush=True)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (figures scale with contention)")
    floor = _child("floor", str(csv_path))
    _line(f"floor csv {args.rows:,}", floor, None, None)
    if args.pg_only:
        postgres(args.pg, csv_path, floor["seconds"], args.pg_db)
        return

    db = OUT / "import_bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    res = _child("import", str(csv_path), f"sqlite:///{db}")
    _line(f"SQLite csv {res['rows']:,}", res, floor["seconds"], TARGETS["sqlite_csv"])
    print(f"{'':<28} peak RSS target <= 2,048 MB: {'met' if res['rss_mb'] <= 2048 else 'NOT met'}")

    xdb = OUT / "import_bench_xlsx.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{xdb}{suffix}").unlink(missing_ok=True)
    res = _child("import", str(xlsx_path), f"sqlite:///{xdb}")
    _line(f"SQLite xlsx {res['rows']:,}", res, None, TARGETS["xlsx"])

    if args.pg:
        postgres(args.pg, csv_path, floor["seconds"], args.pg_db)


def postgres(admin_url: str, csv_path: Path, floor: float, db_name: str | None) -> None:
    """The csv import into a fresh Postgres database (a first load: bulk-load mode), dropped afterwards."""
    name, url = _pg_database(admin_url, db_name)
    try:
        res = _child("import", str(csv_path), url)
        _line(f"Postgres csv {res['rows']:,}", res, floor, TARGETS["postgres_csv"])
    finally:
        _drop_pg(admin_url, name)


if __name__ == "__main__":
    main()
