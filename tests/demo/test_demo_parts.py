"""A big demo load: written PART rows at a time through ``bulk.insert_columns``, offline with deferred
indexes (issue 17, 10M rows on Postgres); checked small, with a tiny PART, on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from cem_core.analyze import journey_cells
from cem_core.analyze.queries import rollup_is_complete
from cem_core.db import bulk, write_transaction
from cem_core.db.models import (
    Customer,
    ImportBatch,
    Rating,
    Response,
    ResponseText,
    curve_rollup,
    journey_cell,
    journey_region_cell,
    journey_rollup,
    touchpoint_cell,
)
from cem_core.demo import generator
from cem_core.demo.generator import load_demo
from tests.analyze.test_rollup import assert_consistent
from tests.db.test_bulk import schema_of


def _count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_parts_write_every_row_once_with_rollups_and_indexes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator, "PART", 500)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    before = schema_of(engine)
    result = load_demo(engine, rows=1_300, seed=4, offline=True)  # parts of 500, 500, 300
    assert schema_of(engine) == before  # every deferred index and foreign key is back
    assert _count(engine, Response) == 1_300 == result.responses
    assert _count(engine, Customer) == result.customers and _count(engine, Rating) == result.ratings
    with engine.connect() as conn:
        keys = conn.execute(select(Response.row_key)).scalars().all()
        comments = conn.execute(select(func.count()).where(Response.comment.is_not(None))).scalar_one()
        ratings_ok = conn.execute(select(func.count()).select_from(Rating).join(
            Response, Response.id == Rating.response_id)).scalar_one()
    assert len(set(keys)) == 1_300 and any("p2-" in k for k in keys)
    assert _count(engine, ResponseText) == comments > 0  # every comment analysed, part by part
    assert ratings_ok == result.ratings  # each part's ratings point at that part's responses
    assert rollup_is_complete(engine)
    assert_consistent(engine)
    load_demo(engine, rows=200, seed=5)  # and an online load after it keeps its ids clear of the first
    assert _count(engine, Response) == 1_500 and rollup_is_complete(engine)


def test_insert_columns_nulls_escapes_and_binary(engine: Engine) -> None:
    """Text COPY renders NULLs, tabs, newlines and backslashes; all-integer tables go binary on Postgres."""
    odd = np.array(["a\tb", "line\nbreak", "back\\slash", None, ""] + [None] * 15, dtype=object)
    with write_transaction(engine) as conn:
        conn.execute(ImportBatch.__table__.insert().values(
            id=77, file_name="x", content_hash="x", source="x", user_name="x", started_at=dt.datetime(2026, 1, 1),
            status="done", is_demo=False))
        bulk.insert_columns(conn, Customer.__table__, {
            "id": np.arange(1, 21), "customer_key": np.array([f"c{i}" for i in range(20)]), "name": odd,
            "batch_id": np.full(20, 77)})
        at = np.array(["2026-03-01T08:30:00"] * 20, dtype="datetime64[s]")
        bulk.insert_columns(conn, Response.__table__, {
            "id": np.arange(1, 21), "batch_id": np.full(20, 77), "row_key": np.array([f"k{i}" for i in range(20)]),
            "customer_id": np.arange(1, 21), "occurred_at": at, "occurred_date": at.astype("datetime64[D]"),
            "nps": generator._small(np.array([np.nan, 0, 10, 7] * 5)), "spend": np.array([np.nan, 12.5] * 10),
            "comment": odd})
        bulk.insert_columns(conn, Rating.__table__, {"response_id": np.arange(1, 21), "attribute_id": np.ones(20, int),
                                                     "score": np.full(20, 4)})
    with engine.connect() as conn:
        names = conn.execute(select(Customer.name).order_by(Customer.id)).scalars().all()
        rows = conn.execute(select(Response.nps, Response.spend, Response.comment, Response.occurred_at)
                            .order_by(Response.id)).all()
        scores = conn.execute(select(func.sum(Rating.score))).scalar_one()
    assert names[:5] == ["a\tb", "line\nbreak", "back\\slash", None, ""]
    assert [r.nps for r in rows[:4]] == [None, 0, 10, 7] and rows[0].spend is None and rows[1].spend == 12.5
    assert rows[1].comment == "line\nbreak" and rows[0].occurred_at.isoformat() == "2026-03-01T08:30:00"
    assert scores == 80


def _journey_rollups(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every journey rollup's rows without their ids, in a fixed order."""
    out = {}
    with engine.connect() as conn:
        for table in (journey_rollup, journey_cell, journey_region_cell, curve_rollup, touchpoint_cell):
            frame = pd.read_sql(select(*(c for c in table.c if c.name != "id")), conn)
            out[table.name] = frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)
    return out


def _by_sql(engine: Engine, batch_ids: list[int]) -> None:
    """Rebuild the batches' journey rollups the way an import does: ``journey_rollup.add_batch`` reads the rows."""
    with write_transaction(engine) as conn:
        for table in (journey_rollup, journey_cell, journey_region_cell, curve_rollup, touchpoint_cell):
            conn.execute(table.delete().where(table.c.batch_id.in_(batch_ids)))
        for batch_id in batch_ids:  # in load order: each finds the pieces of the ones before
            journey_cells.add_batch(conn, batch_id)


@pytest.mark.parametrize("offline", [True, False])
def test_demo_journey_pieces_from_memory_equal_the_sql_path(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                            offline: bool) -> None:
    """The demo loader sums each part's journeys in memory (``journey_rollup.store_pieces``); the pieces and every
    rollup built from them must be the rows ``add_batch`` makes from the stored rows, ``whole`` flags included,
    also for a second load whose journey keys repeat the first one's (same seed: keys shared across batches)."""
    monkeypatch.setattr(generator, "PART", 400)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    first = load_demo(engine, rows=1_000, seed=6, offline=offline).batch_id  # parts of 400, 400, 200
    loaded = _journey_rollups(engine)
    _by_sql(engine, [first])
    for name, frame in _journey_rollups(engine).items():
        pd.testing.assert_frame_equal(loaded[name], frame, check_dtype=False, rtol=1e-12, obj=name)
    assert len(loaded["journey_rollup"]) > 200 and loaded["journey_rollup"]["whole"].all()
    with write_transaction(engine) as conn:  # the first batch's journeys get the keys the next load will make
        conn.execute(Response.__table__.update().values(
            journey_key=func.replace(Response.journey_key, "demo-hotel-6", "demo-hotel-8")))
    _by_sql(engine, [first])
    second = load_demo(engine, rows=700, seed=8, offline=offline).batch_id  # not alone: keys shared
    loaded = _journey_rollups(engine)
    assert 0 < (~loaded["journey_rollup"]["whole"]).sum() < len(loaded["journey_rollup"])
    _by_sql(engine, [first, second])
    by_sql = _journey_rollups(engine)
    for name, frame in loaded.items():
        pd.testing.assert_frame_equal(frame, by_sql[name], check_dtype=False, rtol=1e-12, obj=name)
    assert_consistent(engine)


@pytest.mark.postgres
def test_offline_demo_foreign_keys_come_back_not_valid_and_hold(pg_engine: Engine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's own rows are not re-checked (``deferred_indexes(trusted=True)``: 25 s at 10M), but every
    foreign key is back and refuses a bad row from then on, and the stored rows pass when checked."""
    monkeypatch.setattr(generator, "PART", 500)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    fks = ("SELECT conrelid::regclass::text, conname, convalidated FROM pg_constraint WHERE contype = 'f' "
           "ORDER BY 1, 2")
    with pg_engine.connect() as conn:
        before = conn.exec_driver_sql(fks).all()
    assert before and all(valid for _t, _n, valid in before)
    load_demo(pg_engine, rows=1_000, seed=4, offline=True)
    with pg_engine.connect() as conn:
        after = conn.exec_driver_sql(fks).all()
        bad_response = conn.execute(select(func.max(Response.id))).scalar_one() + 1_000
    assert [(t, n) for t, n, _v in after] == [(t, n) for t, n, _v in before]
    unchecked = [(t, n) for t, n, valid in after if not valid]
    assert {"ratings", "response_text"} <= {t for t, _n in unchecked}
    with pytest.raises(IntegrityError), pg_engine.begin() as conn:
        conn.execute(Rating.__table__.insert().values(response_id=bad_response, attribute_id=1, score=3))
    with pg_engine.begin() as conn:
        for table, name in unchecked:
            conn.exec_driver_sql(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
