"""The text rollups (month cells and day rollups) equal a direct aggregation of the stored per-comment
analysis after every kind of write, on SQLite and Postgres; the page's queries read from the cells (and
the day rollups for partial months) give the same answers as from the rows, under every kind of filter."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select

from cem_core.analyze.queries import Filters, date_bounds, read_frame
from cem_core.db import alembic_config, make_engine, migrate
from cem_core.db.models import (
    TEXT_SENTIMENTS,
    Department,
    JourneyStage,
    Response,
    ResponseText,
    TextTermRollup,
    TextTopicRollup,
    journey_rollup,
    text_term_cell,
    text_topic_cell,
    text_touchpoint_cell,
)
from cem_core.demo.generator import load_demo, remove_demo
from cem_core.ingest.load import import_file
from cem_core.ingest.undo import undo_batch
from cem_core.journey import templates
from cem_core.text import report, store
from cem_core.text.dictionaries import default_config
from cem_core.text.settings import save, stale
from cem_core.text.tokens import bigrams
from tests.db.test_bulk import HEADER
from tests.fixtures.ingest_files import write_csv
from tests.fixtures.writers import import_fail_delete
from tests.journey.test_templates import HEADER as JOURNEY_HEADER

R, RT = Response.__table__, ResponseText.__table__
TR, PR = TextTermRollup.__table__, TextTopicRollup.__table__
COMMENTS = ("前台办理入住等了一个小时，太慢了", "早餐很丰富，服务人员态度很好", "房间还行吧",
            "The breakfast was excellent", "check-in took forever, staff were rude", "价格有点贵，但是位置不错")


def import_rows(n: int, offset: int = 0) -> list[list[str]]:
    """Rows over January to June 2024 (several month cells, edges inside months), varied comments."""
    return [[f"2024-0{1 + (i % 6)}-{1 + i % 28:02d} 10:{i % 60:02d}", str(i % 11), str(1 + i % 5),
             COMMENTS[i % len(COMMENTS)], f"137{i:08d}", "上海", "微信小程序", str(1 + i % 5)]
            for i in range(offset, offset + n)]


def _nonzero(d: dict[tuple, list]) -> dict[tuple, tuple]:
    return {k: tuple(round(x, 6) for x in v) for k, v in d.items() if any(abs(x) > 1e-9 for x in v)}


def direct(engine: Engine) -> dict[str, dict[tuple, tuple]]:
    """Every rollup computed here from the stored analysis rows (the tokens of each comment)."""
    stmt = select(RT.c.batch_id, RT.c.label, RT.c.score, RT.c.terms, RT.c.topics, R.c.nps, R.c.occurred_date,
                  R.c.channel_id, R.c.stage_id, R.c.touchpoint_id, R.c.region, R.c.product, R.c.segment).join(
        R, R.c.id == RT.c.response_id)
    out: dict[str, dict[tuple, list]] = {name: defaultdict(lambda: [0, 0, 0]) for name in ("term_cell", "topic_day")}
    out["term_day"] = defaultdict(lambda: [0])
    out["topic_cell"] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0.0])
    out["place_cell"] = defaultdict(lambda: [0, 0])
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    for batch, label, score, terms, topics, nps, day, ch, st, tp, *place in rows:
        day = str(day)[:10]
        month = day[:8] + "01"
        words = [w for w in terms.split("|") if w]
        for kind, items in ((1, words), (2, bigrams(words))):
            for w in items:
                out["term_cell"][(batch, month, ch, st, tp, kind, w)][TEXT_SENTIMENTS.index(label)] += 1
                if kind == 1:  # bigrams are counted by month only (text.sums.BIGRAM)
                    out["term_day"][(batch, day, ch, st, tp, label, kind, w)][0] += 1
        pairs = [("*", label)] + [tuple(t.rsplit(":", 1)) for t in topics.split("|") if t]
        for i, (code, lab) in enumerate(pairs):  # the map's cells: '*' counts comments, a topic negative clauses
            acc = out["place_cell"][(batch, month, ch, st, tp, *place, code)]
            acc[0] += i == 0
            acc[1] += lab == "negative"
        for code, lab in pairs:
            cell = out["topic_cell"][(batch, month, ch, st, tp, code)]
            cell[TEXT_SENTIMENTS.index(lab)] += 1
            cell[3:] = [cell[3] + (nps is not None), cell[4] + (nps is not None and nps >= 9),
                        cell[5] + (nps is not None and nps <= 6), cell[6] + score]
            dayrow = out["topic_day"][(batch, day, ch, st, tp, code, lab)]
            dayrow[:] = [dayrow[0] + 1, dayrow[1] + (nps is not None), dayrow[2] + (nps is not None and nps >= 9)]
    return {name: _nonzero(d) for name, d in out.items()}


def stored(engine: Engine) -> dict[str, dict[tuple, tuple]]:
    """The same keys summed from the rollup tables (rows of differences from a re-analysis add up)."""
    def summed(table, keys: list[str], values: list) -> dict[tuple, list]:
        cols = [table.c[k] for k in keys]
        frame = read_frame(engine, select(*cols, *(func.sum(v).label(f"v{i}") for i, v in enumerate(values)))
                           .group_by(*cols))
        out = {}
        for row in frame.itertuples(index=False):
            key = tuple(None if pd.isna(x) else str(x)[:10] if k in ("month", "occurred_date") else
                        int(x) if k in ("batch_id", "channel_id", "stage_id", "touchpoint_id", "kind") else x
                        for k, x in zip(keys, row[: len(keys)], strict=True))
            out[key] = [float(x) for x in row[len(keys):]]
        return out

    cell_keys = ["batch_id", "month", "channel_id", "stage_id", "touchpoint_id"]
    day_keys = ["batch_id", "occurred_date", "channel_id", "stage_id", "touchpoint_id"]
    tc, pc = text_term_cell.c, text_topic_cell.c
    return {name: _nonzero(d) for name, d in {
        "term_cell": summed(text_term_cell, [*cell_keys, "kind", "term"], [tc[s] for s in TEXT_SENTIMENTS]),
        "term_day": summed(TR, [*day_keys, "sentiment", "kind", "term"], [TR.c.n]),
        "topic_cell": summed(text_topic_cell, [*cell_keys, "topic"],
                             [*(pc[s] for s in TEXT_SENTIMENTS), pc.nps_n, pc.promoters, pc.detractors,
                              pc.score_sum]),
        "topic_day": summed(PR, [*day_keys, "topic", "sentiment"], [PR.c.n, PR.c.nps_n, PR.c.promoters]),
        "place_cell": summed(text_touchpoint_cell, [*cell_keys, "region", "product", "segment", "topic"],
                             [text_touchpoint_cell.c.comments, text_touchpoint_cell.c.negative]),
    }.items()}


def assert_rollups_equal_rows(engine: Engine) -> None:
    want, have = direct(engine), stored(engine)
    for name in want:
        assert have[name].keys() == want[name].keys(), name
        for key, value in want[name].items():
            # score sums: the stored score is rounded to 4 places, the rollups add the exact one
            assert have[name][key] == pytest.approx(value, rel=1e-3, abs=1e-3), (name, key)
    assert report.cells_complete(engine) and report.place_cells_complete(engine)


def test_rollups_follow_every_writer(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(engine, rows=1_200, seed=5)
    assert_rollups_equal_rows(engine)
    rep = import_fail_delete(engine, tmp_path, import_rows, 240, assert_rollups_equal_rows)
    undo_batch(engine, rep.batch_id, "u")
    assert_rollups_equal_rows(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(text_term_cell.c.batch_id == rep.batch_id)).scalar() == 0
    # a dictionary change, re-analysed in chunks of 100-250 comments: one transaction each
    monkeypatch.setattr(store, "CHUNK", 250)
    monkeypatch.setattr(store, "CHUNK_MIN", 100)
    save(engine, "hotel", {"stopwords": ["房间", "room"], "synonyms": {"服务": ["态度"]}}, user="admin", note="t")
    fractions: list[float] = []
    done = store.reanalyse(engine, lambda frac, _msg: fractions.append(frac))
    assert done > 250 and len(fractions) >= 4 and fractions == sorted(fractions) and stale(engine) == 0
    assert_rollups_equal_rows(engine)
    assert "房间" not in set(report.term_counts(engine, Filters(), top=1000)["term"])
    remove_demo(engine)
    assert_rollups_equal_rows(engine)
    with engine.connect() as conn:
        for table in (text_term_cell, text_topic_cell, text_touchpoint_cell, TR, PR):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0


def test_migration_backfill_equals_writers(engine: Engine) -> None:
    """0019 fills the cells from the day rollups in SQL: the same cells the writers build. (Bigram cells stay:
    since 0033 the day rollups hold no bigrams; when 0019 ran they did.)"""
    load_demo(engine, rows=600, seed=11)
    before = stored(engine)
    with engine.begin() as conn:
        conn.execute(text_term_cell.delete().where(text_term_cell.c.kind == 1))
        conn.execute(text_topic_cell.delete())
    assert not report.cells_complete(engine)  # then every query reads the rows, still right
    with engine.begin() as conn:
        store.cells_from_day_rollups(conn)
    assert stored(engine) == before
    assert_rollups_equal_rows(engine)
    # 0031 fills the journey map's cells by region, product and segment from the stored analysis
    with engine.begin() as conn:
        conn.execute(text_touchpoint_cell.delete().where(text_touchpoint_cell.c.id % 3 == 0))
    assert not report.place_cells_complete(engine)
    with engine.begin() as conn:
        store.place_cells_from_stored(conn)
    assert stored(engine) == before
    assert_rollups_equal_rows(engine)


def _filters(engine: Engine) -> list[Filters]:
    lo, hi = date_bounds(engine)
    assert lo is not None and hi is not None and (hi - lo).days > 90
    with engine.connect() as conn:
        stage = conn.execute(select(JourneyStage.code).order_by(JourneyStage.id)).scalars().first()
        dept = conn.execute(select(Department.code).order_by(Department.id)).scalars().first()
    mid = lo + (hi - lo) / 2
    return [Filters(), Filters(channels=("app", "wechat_mini")), Filters(stages=(stage,)),
            Filters(date_from=lo + dt.timedelta(days=9), date_to=hi - dt.timedelta(days=12)),  # partial edges
            Filters(date_from=mid.replace(day=1), date_to=hi, channels=("app",)),  # open-ended last month
            Filters(date_from=mid, date_to=mid + dt.timedelta(days=10)),  # inside one month: day rollups
            Filters(departments=(dept,))]


QUERIES: dict[str, Callable[[Engine, Filters], pd.DataFrame]] = {
    "terms": lambda e, f: report.term_counts(e, f, top=40),
    "negative bigrams": lambda e, f: report.term_counts(e, f, sentiment="negative", bigrams=True, top=40),
    "positive terms": lambda e, f: report.term_counts(e, f, sentiment="positive", top=40),
    "neutral terms": lambda e, f: report.term_counts(e, f, sentiment="neutral", top=40),
    "topic table": lambda e, f: report.topic_table(e, f, default_config("hotel"), "en"),
    "trends": lambda e, f: report.topic_trends(e, f, default_config("hotel"), "en"),
    "by stage": lambda e, f: report.topics_by(e, f, default_config("hotel"), "stage", "en", sentiment="negative"),
    "by channel": lambda e, f: report.topics_by(e, f, default_config("hotel"), "channel", "en"),
    "totals": lambda e, f: pd.DataFrame([report.sentiment_totals(e, f)]),
}


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_queries_from_cells_equal_rows(db: str, request: pytest.FixtureRequest,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    engine = request.getfixturevalue("demo_engine") if db == "sqlite" else \
        make_engine(request.getfixturevalue("demo_pg_url"))
    try:
        for f in _filters(engine):
            assert report._source(engine, f) == "cells"
            cells = {name: q(engine, f).reset_index(drop=True) for name, q in QUERIES.items()}
            monkeypatch.setattr(report, "_source", lambda _e, _f: "rows")
            for name, q in QUERIES.items():
                assert not cells[name].empty or name == "negative bigrams", (f, name)
                pd.testing.assert_frame_equal(cells[name], q(engine, f).reset_index(drop=True), check_dtype=False,
                                              obj=f"{name} {f}")
            monkeypatch.undo()
    finally:
        if db == "postgres":
            engine.dispose()


def _map_text(engine: Engine, f: Filters) -> list[pd.DataFrame]:
    """The journey map's two text columns: negative share per touchpoint, negative topics per touchpoint."""
    sums = report.touchpoint_negative_sums(engine, f)
    return [report.touchpoint_sentiment(engine, f, sums).sort_values("touchpoint_id").reset_index(drop=True),
            report.touchpoint_negative_topics(engine, f, "en", sums=sums)]


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_map_text_cells_by_place_equal_rows(db: str, request: pytest.FixtureRequest,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Under region, product and segment filters (with whole and partial months, channel, stage, department)
    the map's text columns from ``text_touchpoint_cell`` equal those from the comments' rows."""
    engine = request.getfixturevalue("demo_engine") if db == "sqlite" else \
        make_engine(request.getfixturevalue("demo_pg_url"))
    try:
        with engine.connect() as conn:
            region, product, segment = conn.execute(select(R.c.region, R.c.product, R.c.segment).where(
                R.c.comment.is_not(None)).order_by(R.c.id).limit(1)).one()
        assert report.place_cells_complete(engine)
        for base in _filters(engine):
            for f in (dataclasses.replace(base, regions=(region,)), dataclasses.replace(base, products=(product,)),
                      dataclasses.replace(base, regions=(region, "nowhere"), segments=(segment,))):
                assert report.place_source(engine, f) == "place_cells", f  # with a channel filter too (0032)
                cells = _map_text(engine, f)
                assert not cells[0].empty, f
                monkeypatch.setattr(report, "place_cells_complete", lambda _e: False)
                for a, b in zip(cells, _map_text(engine, f), strict=True):
                    pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=str(f))
                monkeypatch.undo()
    finally:
        if db == "postgres":
            engine.dispose()


def test_migration_0019_on_an_analysed_database(tmp_path: Path) -> None:
    """A database analysed before 0019 (its rollups left by an undo too, as undo used to) gets complete
    cells on upgrade; every query then reads them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    load_demo(engine, rows=500, seed=2)
    rep = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, import_rows(60)), user="u")
    command.downgrade(alembic_config(engine), "0015")
    with engine.begin() as conn:  # what undo did before 0019: rows gone, their day rollups left behind
        conn.execute(R.delete().where(R.c.batch_id == rep.batch_id))
    assert not inspect(engine).has_table("text_term_cell")
    migrate(engine)
    assert report.cells_complete(engine)
    assert_rollups_equal_rows(engine)
    engine.dispose()


def test_migration_0032_on_an_analysed_database(tmp_path: Path) -> None:
    """A database at 0031 (map text cells without channel, covering indexes with CSAT's columns only) gets the
    channel column filled from the stored analysis and the wider indexes on upgrade; the map then reads the
    cells under a channel and a region filter."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    load_demo(engine, rows=500, seed=2)
    command.downgrade(alembic_config(engine), "0031")
    old = ("region", "whole", "first_date", "last_date", "csat_n", "ok", "csat_total", "csat_pk", "csat_tk",
           "csat_xk", "csat_ek", "first_id", "journey_key", "product", "segment")
    with engine.begin() as conn:  # 0031's index as it was
        conn.exec_driver_sql("DROP INDEX ix_journey_rollup_region")
        conn.exec_driver_sql(f"CREATE INDEX ix_journey_rollup_region ON journey_rollup ({', '.join(old)})")
    assert "channel_id" not in {c["name"] for c in inspect(engine).get_columns("text_touchpoint_cell")}
    migrate(engine)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("journey_rollup")}
    for index in journey_rollup.indexes:
        assert indexes[index.name] == [c.name for c in index.columns]
    assert {"nps_pk", "ces_ek"} <= set(indexes["ix_journey_rollup_region"])
    assert_rollups_equal_rows(engine)
    with engine.connect() as conn:
        region = conn.execute(select(R.c.region).where(R.c.comment.is_not(None), R.c.region.is_not(None))
                              .limit(1)).scalar_one()
    f = Filters(channels=("app",), regions=(region,))
    assert report.place_source(engine, f) == "place_cells"
    assert report.place_cells_complete(engine)
    engine.dispose()


def test_mapping_a_stage_moves_its_comments_counts(engine: Engine, tmp_path: Path) -> None:
    """Folding an unmapped stage into another moves responses between cells: the text rollups follow."""
    ids = templates.install_template(engine, "hotel", "admin")
    rows = [["2025-03-01", "4", "售后回访", "", "前台服务很差，等了很久"],
            ["2025-03-02", "5", "售后回访", "", "早餐很好"], ["2025-03-03", "5", "check in", "", "房间干净"]]
    import_file(engine, write_csv(tmp_path / "a.csv", JOURNEY_HEADER, rows), user="u")
    todo = templates.unmapped(engine, "zh")
    templates.map_name(engine, "stage", int(todo["id"][0]), ids["stage"]["loyalty"], "admin")
    assert_rollups_equal_rows(engine)
