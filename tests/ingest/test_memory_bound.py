"""Issue 18, class 4 for ordinary files: the memory of an import is bounded, not proportional to its rows.

Two large csv imports through ``python -m cem_core import --json`` as real processes, on SQLite and
Postgres: N rows, then 2N other rows into the same database. Both are bulk loads (each at least doubles
the table). Holding anything per row of the file (the stored row keys, the customer identities, SQLite's
bulk page cache: 1.47 GB at 1M rows before) makes the second peak grow by ~1.5 KB a row; bounded, the
second peak is the first's plus noise. The 1M and 2M-row figures are ``bench/bench_memory.py``'s (README, Performance).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.ingest.test_hostile_files import GB, check, count, run_cli

ROWS = 110_000  # more than one chunk (``read.CHUNK_ROWS``) per file
MB = 1024**2
# Growth allowed from N to 2N rows: under 1 KB a row. Bounded, the growth measured ~10-70 MB (SQLite's
# 64 MB page cache filling as the database grows, the capped identity cache, the chunk in hand); holding
# the rows' keys and identities grew it by ~1.5 KB a row, ~160 MB here.
MAX_GROWTH = 96 * MB
HEADER = "提交时间,推荐度,满意度,意见,手机号,会员号,门店,渠道,服务态度,速度,价格"
WORDS = ["前台服务很热情", "入住等待时间太长", "房间干净整洁", "早餐种类不多", "价格偏高但值得", "停车很方便"]
STORES = ["上海", "北京", "广州", "深圳"]
CHANNELS = ["短信调研", "微信小程序", "点评网站"]


def ordinary_csv(path: Path, start: int, rows: int) -> Path:
    """A plain survey export: every row a distinct customer (phone and member id), comments that repeat."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for i in range(start, start + rows):
            comment = f"{WORDS[i % 6]}，{WORDS[i // 6 % 6]}。"
            out.write(f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i // 60 % 60:02d},"
                      f"{i % 11},{1 + i % 5},{comment},0139{i:08d},M{i},{STORES[i % 4]},{CHANNELS[i % 3]},"
                      f"{1 + i % 5},{1 + i // 5 % 5},{1 + i // 25 % 5}\n")
    return path


def test_import_memory_does_not_grow_with_the_rows(engine: Engine, tmp_path: Path) -> None:
    small = run_cli(engine, tmp_path, ordinary_csv(tmp_path / "small.csv", 0, ROWS), timeout=1800)
    big = run_cli(engine, tmp_path, ordinary_csv(tmp_path / "big.csv", ROWS, 2 * ROWS), timeout=1800)
    for run, rows in ((small, ROWS), (big, 2 * ROWS)):
        report = check(run, 0, ["done"])[f"{'small' if run is small else 'big'}.csv"]
        assert report["rows_imported"] == rows and report["bulk_load"], report
    assert count(engine) == 3 * ROWS
    assert big.peak_bytes < GB and big.peak_bytes - small.peak_bytes < MAX_GROWTH, (small.peak_bytes / MB,
                                                                                    big.peak_bytes / MB)
