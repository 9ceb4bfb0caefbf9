"""The analysis rollups (month cells, key-driver moments) equal the rows after every kind of write, the
analyses read from them give the same answers as from the rows, and a stale rollup falls back to rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, select

from cem_core.analyze import cells, distributions, drilldown, drivers, matrix, moments, spend, trends
from cem_core.analyze.drilldown import Drill, drill_count
from cem_core.analyze.queries import Filters, read_frame
from cem_core.db import write_transaction
from cem_core.db.models import (
    CELL_KEYS,
    MAX_DRIVERS,
    SCORE_VALUES,
    Rating,
    Response,
    analysis_rollup,
    driver_rollup,
    rating_rollup,
    rollup_coverage,
)
from cem_core.demo.generator import load_demo, remove_demo
from cem_core.ingest.undo import undo_batch
from tests.fixtures.writers import import_fail_delete

R = Response.__table__
KEYS = ["batch_id", *CELL_KEYS]


def rows_frame(engine: Engine) -> pd.DataFrame:
    cols = ["id", "batch_id", "occurred_date", "channel_id", "stage_id", "region", "segment", "nps", "csat", "ces",
            "spend", "overall_sat"]
    frame = read_frame(engine, select(*[R.c[c] for c in cols]))
    frame["month"] = pd.to_datetime(frame["occurred_date"]).dt.to_period("M").dt.to_timestamp().dt.strftime("%Y-%m-%d")
    return frame.fillna({"region": "∅", "segment": "∅", "channel_id": -1, "stage_id": -1})


def stored(engine: Engine, table, columns: list[str], where=None, keys: list[str] = KEYS) -> pd.DataFrame:
    stmt = select(*[table.c[k] for k in keys], *[table.c[c] for c in columns])
    frame = read_frame(engine, stmt if where is None else stmt.where(where))
    frame["month"] = frame["month"].astype(str).str[:10]
    frame = frame.fillna({"region": "∅", "segment": "∅", "channel_id": -1, "stage_id": -1})
    return frame.groupby(keys)[columns].sum().sort_index()


def expected_cells(rows: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=rows.index)
    out["responses"], out["nps_n"] = 1, rows["nps"].notna().astype(int)
    out["promoters"], out["detractors"] = (rows["nps"] >= 9).astype(int), (rows["nps"] <= 6).astype(int)
    for m, scores in SCORE_VALUES.items():
        for k in scores:
            out[f"{m}_{k}"] = (rows[m] == k).astype(int)
    out["spend"] = rows["spend"].fillna(0.0)
    for k in SCORE_VALUES["nps"]:
        out[f"nps_spend_n_{k}"] = ((rows["nps"] == k) & rows["spend"].notna()).astype(int)
        out[f"nps_spend_{k}"] = rows["spend"].where(rows["nps"] == k, 0.0).fillna(0.0)
    return pd.concat([rows[KEYS], out], axis=1).groupby(KEYS)[list(cells.CELL_COLUMNS)].sum().sort_index()


def expected_moments(engine: Engine, rows: pd.DataFrame, ids: tuple[int, ...], outcome: str) -> pd.DataFrame:
    ratings = read_frame(engine, select(Rating.response_id, Rating.attribute_id, Rating.score))
    wide = ratings.pivot(index="response_id", columns="attribute_id", values="score").reindex(columns=list(ids))
    data = rows.set_index("id").join(wide, how="inner")
    data = data.dropna(subset=[outcome, *ids])
    out = pd.DataFrame({"n": 1.0, "sy": data[outcome], "syy": data[outcome] ** 2}, index=data.index)
    for i, a in enumerate(ids):
        out[f"s{i}"], out[f"t{i}"], out[f"cy{i}"] = data[a], (data[a] >= 4).astype(float), data[a] * data[outcome]
        for k in range(i, len(ids)):
            out[f"c{i}_{k}"] = data[a] * data[ids[k]]
    return pd.concat([data[KEYS], out], axis=1).groupby(KEYS)[list(out.columns)].sum().sort_index()


def expected_rating_cells(engine: Engine, rows: pd.DataFrame) -> pd.DataFrame:
    ratings = read_frame(engine, select(Rating.response_id, Rating.attribute_id, Rating.score))
    data = rows.set_index("id").join(ratings.set_index("response_id"), how="inner")
    out = pd.DataFrame({f"r{k}": (data["score"] == k).astype(int) for k in range(1, 6)}, index=data.index)
    keys = [*KEYS, "attribute_id"]
    return pd.concat([data[keys], out], axis=1).groupby(keys)[list(out.columns)].sum().sort_index()


def assert_rollups_equal_rows(engine: Engine) -> None:
    rows = rows_frame(engine)
    pd.testing.assert_frame_equal(stored(engine, analysis_rollup, list(cells.CELL_COLUMNS)), expected_cells(rows),
                                  check_dtype=False)
    got = stored(engine, rating_rollup, list(cells.RATING_COLUMNS), keys=[*KEYS, "attribute_id"])
    want = expected_rating_cells(engine, rows)
    if want.empty:
        assert got.empty
    else:
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
    with engine.connect() as conn:
        ids, key = moments.attribute_set(conn)
        cover = dict(conn.execute(select(rollup_coverage.c.batch_id, rollup_coverage.c.attribute_set)).all())
    assert sum(read_frame(engine, select(rollup_coverage.c.responses))["responses"]) == len(rows)
    current = [b for b, s in cover.items() if s == key]
    if not ids or len(ids) > MAX_DRIVERS:
        return
    for outcome, code in moments.OUTCOME_CODES.items():
        want = expected_moments(engine, rows[rows["batch_id"].isin(current)], ids, outcome)
        got = stored(engine, driver_rollup, list(want.columns),
                     (driver_rollup.c.outcome == code) & driver_rollup.c.batch_id.in_(current))
        if want.empty:  # e.g. an import brought a new attribute that no demo response has
            assert got.empty
        else:
            pd.testing.assert_frame_equal(got, want, check_dtype=False)


def import_rows(n: int, offset: int = 0) -> list[list[str]]:
    """Rows spread over January to June 2024, so they fill several month cells."""
    return [[f"2024-0{1 + (i % 6)}-{1 + i % 28:02d} 10:{i % 60:02d}", str(i % 11), str(1 + i % 5), f"意见 {i}",
             f"137{i:08d}", "上海" if i % 3 else "北京", "微信小程序", str(1 + i % 5)]
            for i in range(offset, offset + n)]


def test_rollups_follow_every_writer(engine: Engine, tmp_path: Path) -> None:
    load_demo(engine, rows=1_500, seed=5)
    assert_rollups_equal_rows(engine)
    report = import_fail_delete(engine, tmp_path, import_rows, 300, assert_rollups_equal_rows)
    assert len(rows_frame(engine)) == 1_500 + 299
    undo_batch(engine, report.batch_id, "u")
    assert_rollups_equal_rows(engine)
    remove_demo(engine)
    assert_rollups_equal_rows(engine)
    assert stored(engine, analysis_rollup, ["responses"]).empty


def _partial(lo: dt.date, hi: dt.date) -> Filters:
    """A range with a partial month at both ends, so cells and edge rows both contribute."""
    return Filters().with_dates(lo + dt.timedelta(days=40), hi - dt.timedelta(days=50))


def test_relative_weights_from_rollup_equal_rows(demo_engine: Engine) -> None:
    ids = drivers.attribute_ids(demo_engine)
    lo, hi = (pd.Timestamp(d).date() for d in read_frame(demo_engine, select(
        R.c.occurred_date)).iloc[:, 0].agg(["min", "max"]))
    for f in (Filters(), _partial(lo, hi), Filters(channels=("app",), regions=("华东",))):
        for outcome in drivers.OUTCOMES:
            assert moments.from_rollup(demo_engine, f, outcome, ids) is not None
            a = drivers.rating_moments(demo_engine, f, outcome)
            b = drivers._row_moments(demo_engine, f, outcome, ids)
            assert a.n == b.n > 30
            np.testing.assert_allclose(a.cross, b.cross, rtol=1e-12)
            wa, r2a = drivers.relative_weights(drivers.correlation_matrix(a.n, a.sums, a.cross))
            wb, r2b = drivers.relative_weights(drivers.correlation_matrix(b.n, b.sums, b.cross))
            np.testing.assert_allclose(wa, wb, atol=1e-9)
            assert abs(r2a - r2b) < 1e-9


def test_analyses_from_cells_equal_rows(demo_engine: Engine) -> None:
    """The same analyses through the cells and, forced by a product filter matching every row, the rows."""
    products = tuple(read_frame(demo_engine, select(R.c.product).distinct())["product"].dropna())
    lo, hi = (pd.Timestamp(d).date() for d in read_frame(demo_engine, select(
        R.c.occurred_date)).iloc[:, 0].agg(["min", "max"]))
    for f in (Filters(), _partial(lo, hi), Filters(regions=("华东",), segments=("VIP", "普通会员"))):
        rows_f = Filters(**{**f.__dict__, "products": products})
        assert cells.answerable(demo_engine, f, ("region",)) and not cells.answerable(demo_engine, rows_f, ())
        cube, cube_rows = distributions.score_cube(demo_engine, f), distributions.score_cube(demo_engine, rows_f)
        for m in distributions.SCALES:
            pd.testing.assert_frame_equal(distributions.histogram(cube, m), distributions.histogram(cube_rows, m))
        pd.testing.assert_frame_equal(spend.spend_summary(cube).by_score, spend.spend_summary(cube_rows).by_score)
        split = distributions.histogram(distributions.score_cube(demo_engine, f, "region", "csat"), "csat",
                                        demo_engine, "region", "en")
        split_rows = distributions.histogram(distributions.score_cube(demo_engine, rows_f, "region", "csat"), "csat",
                                             demo_engine, "region", "en")
        pd.testing.assert_frame_equal(split, split_rows)
        for dims in (("stage", "channel"), ("region", "segment")):
            a = matrix.heat_matrix(demo_engine, f, *dims, "en")
            b = matrix.heat_matrix(demo_engine, rows_f, *dims, "en")
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
        for drill in (Drill(dims=(("stage", 3), ("channel", 2))), Drill(score=("nps", 0, 6)),
                      Drill(dims=(("segment", None),)),
                      Drill(dims=(("region", "华东"),), dates=(lo, lo + dt.timedelta(days=70)))):
            assert drilldown._cell_count(demo_engine, f, drill) == drill_count(demo_engine, rows_f, drill)
        pd.testing.assert_frame_equal(drivers.attribute_histogram(demo_engine, f, "en"),
                                      drivers.attribute_histogram(demo_engine, rows_f, "en"), check_dtype=False)
        a, b = drivers.key_drivers(demo_engine, f, lang="en"), drivers.key_drivers(demo_engine, rows_f, lang="en")
        pd.testing.assert_frame_equal(a.table, b.table, atol=1e-9)
        pd.testing.assert_frame_equal(trends.daily(demo_engine, f).sort_values("day").reset_index(drop=True),
                                      trends.daily(demo_engine, rows_f).sort_values("day").reset_index(drop=True),
                                      check_dtype=False)


def test_stale_cells_fall_back_to_rows(engine: Engine) -> None:
    load_demo(engine, rows=1_000, seed=6)
    assert cells.complete(engine)
    with write_transaction(engine) as conn:
        conn.execute(delete(R).where(R.c.id % 3 == 0))  # no rebuild: the cells are now stale
    assert not cells.complete(engine)
    rows = rows_frame(engine)
    hist = distributions.histogram(distributions.score_cube(engine, Filters()), "nps")
    want = rows["nps"].dropna().astype(int).value_counts()
    assert dict(zip(hist["score"], hist["n"], strict=True)) == {k: int(want.get(k, 0)) for k in range(11)}
    seg = matrix.nps_by(engine, Filters(), ("region",))
    assert int(seg["n"].sum()) == int(rows["nps"].notna().sum())
    assert moments.from_rollup(engine, Filters(), "nps", drivers.attribute_ids(engine)) is None
    assert cells.rating_totals(engine, Filters()) is None
    ratings = read_frame(engine, select(Rating.attribute_id, Rating.score))
    hist = drivers.attribute_histogram(engine, Filters(), "en")
    assert int(hist["n"].sum()) == len(ratings) > 0
    assert drill_count(engine, Filters(), Drill(score=("nps", 0, 6))) == int((rows["nps"] <= 6).sum())
