"""The rollups a writer sums from its chunks in memory (``analyze.chunk_rollup``) are the rows the SQL
path (``rollup.add_batch``, used by rebuilds) writes, table for table; deletion on request subtracts."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from cem_core.analyze import rollup
from cem_core.analyze.queries import read_frame
from cem_core.db import write_transaction
from cem_core.db.models import ResponseRollup, analysis_rollup, driver_rollup, rating_rollup, rollup_coverage
from cem_core.demo.generator import load_demo

TABLES = (ResponseRollup.__table__, analysis_rollup, rating_rollup, driver_rollup, rollup_coverage)


def snapshot(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every rollup table's rows without their ids, in a stable order, dates as text."""
    out = {}
    for table in TABLES:
        cols = [c for c in table.columns if c.name != "id"]
        frame = read_frame(engine, select(*cols))
        for name in ("occurred_date", "month"):
            if name in frame:
                frame[name] = frame[name].astype(str).str[:10]
        keys = [c.name for c in cols if c.name in ("batch_id", "occurred_date", "month", "channel_id", "stage_id",
                                                   "touchpoint_id", "region", "segment", "attribute_id", "outcome")]
        out[table.name] = frame.sort_values(keys, na_position="first").reset_index(drop=True)
    return out


def test_sums_from_memory_equal_sums_from_rows(engine: Engine) -> None:
    load_demo(engine, rows=1_200, seed=3)  # the demo loader sums its chunks in memory
    from_memory = snapshot(engine)
    assert len(from_memory["analysis_rollup"]) > 10 and len(from_memory["driver_rollup"]) > 10
    with write_transaction(engine) as conn:
        rollup.rebuild_all(conn)  # every batch again, from the stored rows
    from_rows = snapshot(engine)
    for name, frame in from_memory.items():
        pd.testing.assert_frame_equal(frame, from_rows[name], check_dtype=False, obj=name)
