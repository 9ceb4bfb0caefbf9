"""Peak memory of importing large ordinary csv files: bounded in the number of rows (issue 18).

    python bench/bench_memory.py [--rows 300000,1000000,2000000] [--pg postgresql+psycopg://...]

The files are bench_import's (Chinese comments, phones, member ids, three attribute ratings); each import
runs in a fresh process on a fresh database, like bench_import's measurements, and prints the importing
process's peak RSS (target: under 1,024 MB at every size, up to the 2,000,000-row cap). The baseline is the smallest
file of the same run: the growth of the importing process's peak per 1,000 further rows is the figure
that shows the bound (near 0 KB: nothing is held per row of the file). Time per row is printed too, as
the ratio to the smallest file, and the import's time as a multiple of bench_import's floor for the same
file (pandas.read_csv plus sqlite3 executemany into a plain table), measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import OUT, PG_DEFAULT, _child, _drop_pg, _fresh_sqlite, _pg_database, make_csv

LIMIT_MB = 1024


def measure(label: str, sizes: list[int], url_for: Callable[[], tuple[str, Callable[[], object]]],
            floors: dict[int, float]) -> None:
    """Import every size into a fresh database from ``url_for()``; print peaks and growth per row."""
    base: dict | None = None
    for rows in sizes:
        url, cleanup = url_for()
        try:
            res = _child("import", str(make_csv(rows)), url)
        finally:
            cleanup()
        own = res["rss_mb"]
        line = (f"{label} {rows:>9,} rows  {res['seconds']:7.1f} s  peak RSS {own:6,.0f} MB  "
                f"(< {LIMIT_MB:,} MB: {'met' if res['rss_mb'] < LIMIT_MB else 'NOT met'})  "
                f"{res['seconds'] / floors[rows]:4.1f}x floor")
        if base is None:
            base = {**res, "own": own, "n": rows}
        else:
            growth = (own - base["own"]) * 1024 / ((rows - base["n"]) / 1000)
            pace = (res["seconds"] / rows) / (base["seconds"] / base["n"])
            line += f"  growth {growth:5.1f} KB per 1k rows over {base['n']:,}; time per row {pace:4.2f}x"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="300000,1000000,2000000", help="comma-separated file sizes, smallest first")
    ap.add_argument("--pg", default="", help=f"admin URL of a Postgres server, e.g. {PG_DEFAULT} ('' to skip)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.rows.split(","))
    OUT.mkdir(exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    floors = {}
    for rows in sizes:
        floors[rows] = _child("floor", str(make_csv(rows)))["seconds"]
        print(f"floor csv {rows:>9,} rows  {floors[rows]:7.1f} s", flush=True)

    def sqlite() -> tuple[str, Callable[[], object]]:
        url = _fresh_sqlite("memory_bench.db")
        return url, lambda: _fresh_sqlite("memory_bench.db")

    measure("SQLite  ", sizes, sqlite, floors)
    if args.pg:
        def postgres() -> tuple[str, Callable[[], object]]:
            name, url = _pg_database(args.pg)
            return url, lambda: _drop_pg(args.pg, name)

        measure("Postgres", sizes, postgres, floors)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
