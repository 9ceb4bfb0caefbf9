"""The rollup always equals the rows it summarises, after every kind of write."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cem_core.analyze import rollup
from cem_core.analyze.metrics import MEASURE_COLUMNS, sql_measures
from cem_core.analyze.queries import Filters, measures_cube, read_frame
from cem_core.db import write_transaction
from cem_core.db.models import Response, ResponseRollup
from cem_core.demo.generator import load_demo, remove_demo

R, U = Response.__table__, ResponseRollup.__table__
KEYS = ("occurred_date", "channel_id", "stage_id", "touchpoint_id")


def from_rows(engine: Engine) -> pd.DataFrame:
    stmt = select(*(R.c[k] for k in KEYS), *sql_measures(R)).group_by(*(R.c[k] for k in KEYS))
    return read_frame(engine, stmt).sort_values(list(KEYS)).reset_index(drop=True)


def from_rollup(engine: Engine) -> pd.DataFrame:
    stmt = select(*(U.c[k] for k in KEYS), *(func.sum(U.c[m]).label(m) for m in MEASURE_COLUMNS)).group_by(
        *(U.c[k] for k in KEYS))
    return read_frame(engine, stmt).sort_values(list(KEYS)).reset_index(drop=True)


def assert_consistent(engine: Engine) -> None:
    a, b = from_rows(engine), from_rollup(engine)
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_rollup_follows_loads_deletes_and_rebuilds(engine: Engine) -> None:
    load_demo(engine, rows=2_000, seed=1)
    assert_consistent(engine)
    load_demo(engine, rows=1_500, industry="bank", seed=2)
    assert_consistent(engine)
    with write_transaction(engine) as conn:
        victims = conn.execute(select(R.c.batch_id).where(R.c.id % 7 == 0)).scalars().all()
        conn.execute(R.delete().where(R.c.id % 7 == 0))
        rollup.rebuild_batches(conn, victims)
    assert_consistent(engine)
    remove_demo(engine)
    assert_consistent(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(U)).scalar() == 0


def test_cube_from_rollup_equals_cube_from_rows(demo_engine: Engine) -> None:
    """A free-text filter that matches every row forces the row scan; both paths must agree."""
    with demo_engine.connect() as conn:
        regions = tuple(conn.execute(select(R.c.region).distinct()).scalars())
    by_rollup = measures_cube(demo_engine, Filters(channels=("app", "sms_survey")))
    by_rows = measures_cube(demo_engine, Filters(channels=("app", "sms_survey"), regions=regions))
    key = ["day", "channel_id", "stage_id"]
    pd.testing.assert_frame_equal(by_rollup.sort_values(key).reset_index(drop=True),
                                  by_rows.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert len(by_rollup) > 100


def test_stale_rollup_falls_back_to_rows(engine: Engine) -> None:
    """A writer that forgets the rollup contract must not make the overview wrong."""
    from cem_core.analyze.queries import rollup_is_complete

    load_demo(engine, rows=1_000, seed=3)
    assert rollup_is_complete(engine)
    before = measures_cube(engine, Filters())
    with write_transaction(engine) as conn:
        conn.execute(R.delete().where(R.c.id % 2 == 0))  # no rebuild: the rollup is now stale
    assert not rollup_is_complete(engine)
    after = measures_cube(engine, Filters())
    assert after["responses"].sum() == before["responses"].sum() - 500


def test_data_version_moves_when_single_rows_are_deleted(engine: Engine) -> None:
    """Caches are keyed by data_version: deleting rows of an existing batch must change it."""
    from cem_core.analyze.queries import data_version

    load_demo(engine, rows=800, seed=4)
    before = data_version(engine)
    with write_transaction(engine) as conn:
        conn.execute(R.delete().where(R.c.id <= 10))
        rollup.rebuild_batches(conn, [1])
    assert data_version(engine) != before
