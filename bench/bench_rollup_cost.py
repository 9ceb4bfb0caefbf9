"""What each rollup costs its writer: one batch's rollups, part by part, from the stored rows (SQL) and from
the rows in memory (what imports and the demo loader do now), on an existing database.

    python bench/bench_rollup_cost.py --url sqlite:////tmp/scale/d1m3.db [--batch ID] [--chunk 25000]

Writers used to call ``analyze.rollup.add_batch`` after inserting a batch: one INSERT ... SELECT ...
GROUP BY per rollup over the batch's stored rows. They now sum each chunk in memory as they write it
(``analyze.chunk_rollup.BatchRollup``) and insert the sums once. This times both for the largest (or the
given) batch, inside a transaction that is rolled back, and prints each part's seconds and its ratio to
the reference full scan of the same run (``bench/ratios.py``). For the in-memory path the batch's rows are
first read back into chunks of ``--chunk`` rows (not timed: an import has them already), then each
part's work over all chunks is timed, and the final inserts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from sqlalchemy import func, select

from bench.ratios import reference
from cem_core.analyze import cells, chunk_rollup, moments, rollup
from cem_core.analyze.queries import read_frame
from cem_core.db import make_engine
from cem_core.db.models import Rating, Response, ResponseRollup, analysis_rollup, driver_rollup, rating_rollup

TABLES = (ResponseRollup.__table__, analysis_rollup, rating_rollup, driver_rollup)


def _timed(label: str, unit: float, part: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    part()
    took = time.perf_counter() - t0
    print(f"{label:<40} {took:8.2f} s  {took / unit:7.2f} scans")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--chunk", type=int, default=25_000)
    args = ap.parse_args()
    unit = reference(args.url)
    engine = make_engine(args.url)
    r = Response.__table__
    with engine.connect() as conn:
        batch_id, rows = args.batch, None
        if batch_id is None:
            batch_id, rows = conn.execute(select(r.c.batch_id, func.count()).group_by(r.c.batch_id).order_by(
                func.count().desc()).limit(1)).one()
        print(f"batch {batch_id}: {rows or '?'} rows")
        conn.rollback()
        frame = read_frame(engine, select(*[r.c[k] for k in chunk_rollup.ROW_FIELDS]).where(
            r.c.batch_id == batch_id).order_by(r.c.id))
        ra = Rating.__table__.c
        ratings = read_frame(engine, select(ra.response_id, ra.attribute_id, ra.score).where(
            ra.response_id.in_(select(r.c.id).where(r.c.batch_id == batch_id))).order_by(ra.response_id))
        chunks = []
        for lo in range(0, len(frame), args.chunk):
            part = frame.iloc[lo:lo + args.chunk]
            first, last = part["id"].iloc[0], part["id"].iloc[-1]
            chunks.append(({k: part[k].tolist() for k in chunk_rollup.ROW_FIELDS},
                           ratings[(ratings["response_id"] >= first) & (ratings["response_id"] <= last)]))
        trans = conn.begin()
        print("-- from the stored rows (rollup.add_batch, before)")
        for table in TABLES:
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        sql = sum(_timed(label, unit, part) for label, part in (
            ("day rollup (response_rollup)", lambda: rollup.add_day_rollup(conn, batch_id)),
            ("month cells", lambda: cells.add_cells(conn, batch_id)),
            ("rating cells", lambda: cells.add_rating_cells(conn, batch_id)),
            ("key-driver moments", lambda: moments.add_batch(conn, batch_id)),
            ("coverage row count", lambda: conn.execute(select(func.count()).where(
                r.c.batch_id == batch_id)).scalar_one())))
        print(f"{'total':<40} {sql:8.2f} s  {sql / unit:7.2f} scans")
        print(f"-- from the rows in memory ({len(chunks)} chunks of {args.chunk:,}; chunk_rollup, now)")
        for table in TABLES:
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        ids, _ = moments.attribute_set(conn)
        framed: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        parts: dict[str, list[pd.DataFrame]] = {"day": [], "cells": [], "ratings": [], "moments": []}
        mem = _timed("chunk frames", unit, lambda: framed.extend(
            (chunk_rollup.frame_of(rows_), rat.reset_index(drop=True)) for rows_, rat in chunks))
        for label, name, fn in (("day rollup (response_rollup)", "day", lambda f, _: chunk_rollup.day_part(f)),
                                ("month cells", "cells", lambda f, _: chunk_rollup.cell_part(f)),
                                ("rating cells", "ratings", chunk_rollup.rating_part),
                                ("key-driver moments", "moments",
                                 lambda f, rat: chunk_rollup.moment_part(f, rat, ids))):
            mem += _timed(label, unit, lambda n=name, fn=fn: parts[n].extend(fn(f, rat) for f, rat in framed))
        mem += _timed("inserts of the sums", unit, lambda: [chunk_rollup.insert_sums(conn, table, parts[name], batch_id)
                                                           for table, name in zip(TABLES, parts, strict=True)])
        print(f"{'total':<40} {mem:8.2f} s  {mem / unit:7.2f} scans")
        trans.rollback()
    engine.dispose()


if __name__ == "__main__":
    main()
