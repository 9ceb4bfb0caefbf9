"""``journey_rollup`` answers peak-end, and ``curve_rollup`` the emotion curve, exactly as the rows do, after
every kind of write, on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select, text

from cem_core.analyze import journey_rollup, rollup, touchpoint_cells
from cem_core.analyze.cells import month_of
from cem_core.analyze.dims import filtered_rows
from cem_core.analyze.journey_cells import recovery_bounds
from cem_core.analyze.journey_rollup import neutral
from cem_core.analyze.metrics import sql_measures
from cem_core.analyze.queries import Filters, read_frame
from cem_core.db import write_transaction
from cem_core.db.models import JOURNEY_MOMENTS, Customer, Response, curve_rollup, touchpoint_cell
from cem_core.db.models import journey_rollup as pieces
from cem_core.demo.generator import demo_batches, load_demo
from cem_core.ingest.undo import undo_batch
from cem_core.journey.curve import rollup_answers, step_sums_sql
from cem_core.journey.index_order import free_text
from cem_core.journey.journeymap import touchpoint_measures
from cem_core.journey.peakend import (
    MARGINS,
    _packed_journeys,
    _summary_sql,
    exposure,
    journey_rows,
    peak_end,
    source,
    summary_answers,
    summary_parts,
    uses_summary,
)
from cem_core.privacy.deletion import delete_customers
from cem_core.text import report
from cem_core.text.store import place_cells_from_stored
from tests.analyze.test_rollups import import_rows
from tests.fixtures.writers import import_fail_delete

R = Response.__table__


def _frame(engine: Engine, stmt) -> pd.DataFrame:
    frame = read_frame(engine, stmt)
    numbers = [c for c in frame.columns if c not in ("kind", "label")]
    frame[numbers] = frame[numbers].astype(float)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _comparable(blocks: pd.DataFrame, margins: dict[str, tuple]) -> list[pd.DataFrame]:
    out = [blocks[["k_neg", "n", *JOURNEY_MOMENTS]].astype(float).reset_index(drop=True)]
    for key in MARGINS:
        keys, n, sy = margins[key]
        m = pd.DataFrame({"key": pd.Series(keys, dtype=object), "n": n, "sy": sy})
        m = m[~m["key"].isin([-1, ""]) & (m["n"] > 0)].astype({"key": str, "n": float, "sy": float})
        out.append(m.sort_values("key").reset_index(drop=True))
    return out


def _summaries(engine: Engine, f: Filters, measure: str, src: str) -> list[pd.DataFrame]:
    """Peak-end's block sums and every margin of its small summaries (touchpoint of the worst moment, best
    moment and end; recovery class) read from ``src``, in a comparable form."""
    return _comparable(*summary_parts(engine, f, measure, src))


def _summaries_in_pandas(engine: Engine, f: Filters, measure: str) -> list[pd.DataFrame]:
    """The same summaries computed here, in pandas, from the per-journey figures of the rows (``journey_rows``):
    a reference for the packed paths' numpy (``_journey_parts``), written apart from it."""
    j = read_frame(engine, journey_rows(f, measure, None, engine.dialect.name)).astype({"jk": str})
    j = j.astype({c: float for c in j.columns if c != "jk"})
    y = j["overall"]
    xs = {"peak_end": (j["peak"] + j["end"]) / 2.0, "mean": j["total"] / j["n"], "peak": j["peak"], "end": j["end"],
          "trough": j["trough"]}
    values = pd.DataFrame({"k_neg": j["block"], "n": 1.0, "sy": y, "syy": y * y,
                           **{f"{k}_{name}": v for name, x in xs.items()
                              for k, v in (("sx", x), ("sxx", x * x), ("sxy", x * y))}})
    blocks = values.groupby("k_neg", as_index=False).sum()
    mid = neutral(measure)
    neg_max, pos_min = recovery_bounds(measure)
    label = ["ended_badly" if e <= neg_max else ("recovered" if e >= pos_min else "low_unresolved") if t <= neg_max
             else "no_low" for t, e in zip(j["trough"], j["end"], strict=True)]
    keys = {"k_neg": j["trough_tp"].where(j["trough"] < mid, -1).astype(int),
            "k_pos": j["top_tp"].where(j["top"] > mid, -1).astype(int), "k_end": j["end_tp"].astype(int),
            "label": pd.Series(label, dtype=object)}
    margins = {}
    for key, k in keys.items():
        g = pd.DataFrame({"key": k, "n": 1, "sy": y}).groupby("key", sort=True).sum()
        margins[key] = (g.index.to_numpy(), g["n"].to_numpy(), g["sy"].to_numpy())
    return _comparable(blocks, margins)


def _cases(engine: Engine) -> list[Filters]:
    with engine.connect() as conn:
        lo = conn.execute(select(func.min(R.c.occurred_date))).scalar()
        hi = conn.execute(select(func.max(R.c.occurred_date))).scalar()
    lo, hi = (dt.date.fromisoformat(str(d)[:10]) for d in (lo, hi))
    mid = lo + (hi - lo) / 2
    window = Filters().with_dates(mid - dt.timedelta(days=90), mid)  # cuts journeys at both ends
    return [Filters(), window, Filters(segments=("VIP",)), dataclasses.replace(window, regions=("华东", "north")),
            Filters(date_from=mid), Filters(date_to=mid), Filters(products=("行政套房",)),
            dataclasses.replace(window, channels=("app", "sms_survey")), Filters(departments=("operations",)),
            dataclasses.replace(window, channels=("app",), regions=("华东",))]  # map text: channel on the cells


def _journeys(engine: Engine, stmt) -> pd.DataFrame:
    """Per-journey figures indexed by journey key, as floats (Postgres and SQLite type sums differently)."""
    return read_frame(engine, stmt).set_index("jk").sort_index().astype(float)


def _touchpoint_cells_equal_rows(engine: Engine) -> None:
    """``touchpoint_cell`` holds exactly the rows' sums per batch, month and key (a direct aggregation)."""
    c = R.c
    month = month_of(c.occurred_date, engine.dialect.name)
    keys = [c.batch_id, month.label("month"), *(c[k] for k in touchpoint_cells.KEYS)]
    sums = touchpoint_cells.row_sums()
    t = touchpoint_cell.c
    frames = []
    for stmt in (select(*keys, *(sums[k] for k in touchpoint_cells.COLUMNS)).group_by(*keys),
                 select(t.batch_id, t.month, *(t[k] for k in touchpoint_cells.KEYS),
                        *(t[k] for k in touchpoint_cells.COLUMNS))):
        frame = read_frame(engine, stmt)
        frame["month"] = frame["month"].astype(str).str[:10]
        frame[list(touchpoint_cells.COLUMNS)] = frame[list(touchpoint_cells.COLUMNS)].astype(float)
        frames.append(frame.astype({k: str for k in touchpoint_cells.KEYS}).sort_values(
            ["batch_id", "month", *touchpoint_cells.KEYS]).reset_index(drop=True))
    assert len(frames[1]) > 0
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)


def _map_measures_by_rows(engine: Engine, f: Filters) -> pd.DataFrame:
    rows = filtered_rows(f, R.c.stage_id, R.c.touchpoint_id, R.c.nps, R.c.csat, R.c.ces, R.c.spend)
    return _frame(engine, select(rows.c.stage_id, rows.c.touchpoint_id, *sql_measures(rows)).group_by(
        rows.c.stage_id, rows.c.touchpoint_id))


def _map_text_by_rows(engine: Engine, f: Filters) -> list[pd.DataFrame]:
    """The map's text columns (negative share, negative topics per touchpoint) from the text module's row path
    (``touchpoint_topic_sums`` reads the comments' rows under a region, product or segment filter)."""
    sums = report.touchpoint_topic_sums(engine, f)
    return [report.touchpoint_sentiment(engine, f, sums).sort_values("touchpoint_id").reset_index(drop=True),
            report.touchpoint_negative_topics(engine, f, "en", sums=sums)]


def _map_text_by_cells(engine: Engine, f: Filters) -> list[pd.DataFrame]:
    sums = report.touchpoint_negative_sums(engine, f)
    return [report.touchpoint_sentiment(engine, f, sums).sort_values("touchpoint_id").reset_index(drop=True),
            report.touchpoint_negative_topics(engine, f, "en", sums=sums)]


def assert_same_as_rows(engine: Engine) -> None:
    """Every filter case and measure: the per-journey rows and the whole summary agree between both paths,
    and ``peak_end`` (which picks the rollup) equals the figures from the rows; the touchpoint cells equal the
    rows, and so do the map's measures read from them."""
    with engine.connect() as conn:
        assert journey_rollup.is_complete(conn) and journey_rollup.is_complete(conn, curve_rollup)
    _touchpoint_cells_equal_rows(engine)
    assert report.place_cells_complete(engine)
    dialect = engine.dialect.name
    for f in _cases(engine):
        if free_text(f):  # the map's text columns: text_touchpoint_cell == the comments' rows
            assert report.place_source(engine, f) == "place_cells", f  # a channel filter too (0032)
            for a, b in zip(_map_text_by_rows(engine, f), _map_text_by_cells(engine, f), strict=True):
                pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=str(f))
            by_cells = touchpoint_measures(engine, f)
            by_cells[list(by_cells.columns)] = by_cells.astype(float)
            pd.testing.assert_frame_equal(_map_measures_by_rows(engine, f), by_cells.sort_values(
                list(by_cells.columns)).reset_index(drop=True), check_dtype=False)
        assert uses_summary(engine, f, "csat") == summary_answers(f)
        assert rollup_answers(engine, f)
        for measure in ("csat", "nps", "ces") if summary_answers(f) else ():
            by_rows = _journeys(engine, journey_rows(f, measure, None, dialect, summary=False))
            by_rollup = _journeys(engine, journey_rows(f, measure, None, dialect, summary=True))
            assert len(by_rows) > 0, (f, measure)
            pd.testing.assert_frame_equal(by_rows, by_rollup, check_dtype=False)
        for measure in ("csat", "nps", "ces"):  # the emotion curve's sums: curve_rollup / touchpoint_cell == rows
            by_rows = _frame(engine, step_sums_sql(f, measure, dialect, from_rollup=False))
            assert len(by_rows) > 3
            pd.testing.assert_frame_equal(by_rows, _frame(engine, step_sums_sql(f, measure, dialect, True)),
                                          check_dtype=False)
            assert exposure(engine, f, measure, True) == exposure(engine, f, measure, False)
        for measure in ("csat", "nps", "ces"):  # the rows' packed path == the same summaries in pandas
            for a, b in zip(_summaries_in_pandas(engine, f, measure), _summaries(engine, f, measure, "rows"),
                            strict=True):
                pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, obj=f"{f} {measure}")
        for measure in ("csat", "nps", "ces") if summary_answers(f) else ():
            src = source(engine, f, measure)  # cells for the whole months, journey_rollup for the rest
            assert src == ("journeys" if f.products or f.segments else "cells"), (f, src)  # a region: its cells
            for other in sorted({src, "journeys"} if free_text(f) else {src}):
                for a, b in zip(_summaries(engine, f, measure, "rows"), _summaries(engine, f, measure, other),
                                strict=True):
                    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, obj=f"{f} {measure} {other}")


def _keys(engine: Engine, f: Filters, summary: bool) -> list[str]:
    frame = read_frame(engine, journey_rows(f, "csat", None, engine.dialect.name, summary=summary))
    return sorted(frame["jk"]) if not frame.empty else []


def test_rollup_equals_rows_after_loads_edits_deletion_and_undo(engine: Engine) -> None:
    load_demo(engine, rows=3_000, seed=1)
    load_demo(engine, rows=2_000, seed=2)
    assert_same_as_rows(engine)
    # A journey split over pieces (rows of one journey in two regions) recombines exactly.
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE responses SET region = 'north' WHERE id % 5 = 0"))
        rollup.rebuild_all(conn)  # what ``python -m cem_core rollup`` does after manual edits
        place_cells_from_stored(conn)
    with engine.connect() as conn:
        per_journey = conn.execute(select(func.count()).select_from(pieces)).scalar_one()
        journeys = conn.execute(select(func.count(R.c.journey_key.distinct()))).scalar_one()
    assert per_journey > journeys
    assert_same_as_rows(engine)
    for f in _cases(engine):
        if summary_answers(f):
            assert _keys(engine, f, True) == _keys(engine, f, False)
    # Deletion on request rebuilds the customers' batches.
    with engine.connect() as conn:
        victims = list(conn.execute(select(Customer.__table__.c.id).where(Customer.__table__.c.id % 9 == 0)).scalars())
    assert delete_customers(engine, victims, actor="test", matched_by="id").responses > 0
    assert_same_as_rows(engine)
    # Undo of a batch removes its pieces (the cascade and the rebuild).
    first = demo_batches(engine)[0]
    undo_batch(engine, first, "test")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(pieces.c.batch_id == first)).scalar_one() == 0
    assert_same_as_rows(engine)
    assert peak_end(engine, Filters()).journeys == len(_keys(engine, Filters(), False)) > 100


def test_peak_end_reads_every_measure_from_the_covering_indexes(sqlite_engine: Engine) -> None:
    """Under a region, product or segment filter, peak-end's pieces come from that dimension's covering index
    for CSAT, NPS and CES alike (0032; with CSAT's columns only, NPS and CES looked every piece up in the table:
    1.1-1.2 scans at 1M)."""
    load_demo(sqlite_engine, rows=1_500, seed=3)
    cases = (("region", Filters(regions=("华东",))), ("segment", Filters(segments=("VIP",))),
             ("product", Filters(products=("行政套房",))))
    with sqlite_engine.connect() as conn:
        for measure in ("csat", "nps", "ces"):
            for dim, f in cases:
                sql = str(_packed_journeys(f, measure, "sqlite", None).compile(
                    dialect=sqlite_engine.dialect, compile_kwargs={"literal_binds": True}))
                plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                assert f"COVERING INDEX ix_journey_rollup_{dim} " in plan, (measure, plan)
                assert f"USING INDEX ix_journey_rollup_{dim} " not in plan, (measure, plan)


def test_peak_end_under_a_channel_and_a_region_reads_one_covering_index(engine: Engine) -> None:
    """A channel (or stage, department) filter with a region: peak-end groups the rows of the region's chosen
    channels from ``ix_responses_region_channel`` alone (0036; before it SQLite looked every match of the region up
    in the table and Postgres scanned ``responses``: 1.5-3.1 full scans at 1M), and the answer is the rows'."""
    load_demo(engine, rows=6_000, seed=3)
    window = Filters().with_dates(dt.date(2025, 3, 1), dt.date(2025, 12, 31))
    cases = [dataclasses.replace(window, channels=("app",), regions=("华东",)),
             Filters(channels=("app", "sms_survey"), regions=("华东", "华北")),
             dataclasses.replace(window, stages=("stay",), regions=("华东",)),
             dataclasses.replace(window, departments=("operations",), regions=("华南",))]
    is_pg = engine.dialect.name == "postgresql"
    if is_pg:  # a few rows: the planner would scan them; the index must serve the read, index-only
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE responses")
    for f in cases:
        assert source(engine, f, "csat") == "rows"
        stmt = journey_rows(f, "csat", None, engine.dialect.name)
        packed = _summary_sql(f, "csat", engine.dialect.name, "rows")  # what peak_end runs: the journeys packed
        compiled = packed.compile(engine, compile_kwargs={"render_postcompile": True})
        with engine.connect() as conn:
            if is_pg and f.departments:  # a few rows: Postgres may read the touchpoints' index instead
                pass
            elif is_pg:
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_bitmapscan = off")
                plan = " | ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
                assert "Index Only Scan using ix_responses_region_channel on responses" in plan, (f, plan)
            else:
                params = tuple(compiled.params[name] for name in compiled.positiontup or ())
                plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params))
                assert "COVERING INDEX ix_responses_region_channel " in plan, (f, plan)
        assert len(read_frame(engine, stmt)) > 0 or not f.channels, f  # a stage holds < 3 touchpoints
    # Equal to a database without the index (the plan differs, the answer must not).
    before = [json.dumps(peak_end(engine, f).as_dict(), sort_keys=True) for f in cases]  # NaN == NaN as text
    assert json.loads(before[1])["journeys"] > 30
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("DROP INDEX ix_responses_region_channel")
    assert [json.dumps(peak_end(engine, f).as_dict(), sort_keys=True) for f in cases] == before


def test_a_writer_that_skips_the_rollup_falls_back_to_the_rows(sqlite_engine: Engine) -> None:
    load_demo(sqlite_engine, rows=1_500, seed=3)
    assert uses_summary(sqlite_engine, Filters(), "csat")
    with write_transaction(sqlite_engine) as conn:  # rows deleted without a rebuild: every rollup is stale
        conn.execute(R.delete().where(R.c.id % 2 == 0))
    assert not uses_summary(sqlite_engine, Filters(), "csat") and not rollup_answers(sqlite_engine, Filters())
    assert not uses_summary(sqlite_engine, Filters(channels=("app",)), "csat")  # channels cut journeys: rows
    res = peak_end(sqlite_engine, Filters())
    with write_transaction(sqlite_engine) as conn:
        rollup.rebuild_all(conn)
    assert peak_end(sqlite_engine, Filters()).as_dict() == res.as_dict()


def test_rollups_follow_an_import_a_failed_import_deletion_and_undo(engine: Engine, tmp_path: Path) -> None:
    """The shared writer sequence (``tests.fixtures.writers``) on top of demo journeys: imported rows without a
    journey key, a half-done import that rolls back, a deletion on request, then undoing the import."""
    load_demo(engine, rows=1_500, seed=5)
    report = import_fail_delete(engine, tmp_path, import_rows, 300, assert_same_as_rows)
    undo_batch(engine, report.batch_id, "u")
    assert_same_as_rows(engine)
