"""Histograms, spend, heat matrix, segments, trends and drill-down on hand-made rows with known answers,
on SQLite and on Postgres (the ``engine`` fixture), and against pandas on the demo set."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cem_core.analyze.distributions import histogram, histogram_summary, score_cube
from cem_core.analyze.drilldown import Drill, drill_count, drill_export, drill_page
from cem_core.analyze.drivers import attribute_histogram
from cem_core.analyze.matrix import heat_matrix
from cem_core.analyze.queries import Filters
from cem_core.analyze.segments import segments
from cem_core.analyze.spend import spend_summary
from cem_core.analyze.trends import bucket, daily, trend
from cem_core.db.models import Attribute, Channel, JourneyStage, Response
from tests.analysis_data import load_rows

D1, D2 = dt.date(2025, 1, 10), dt.date(2025, 2, 10)

ROWS = [
    # stage s1 / SMS: 2 promoters, 1 passive, 1 detractor -> NPS 25
    {"nps": 10, "csat": 5, "ces": 7, "spend": 1000.0, "region": "East", "segment": "VIP", "day": D1,
     "name": "张三", "phone": "13812345678", "comment": "很好，电话 13812345678"},
    {"nps": 9, "csat": 4, "ces": 6, "spend": 800.0, "region": "East", "segment": "VIP", "day": D1},
    {"nps": 7, "csat": 3, "ces": 4, "spend": 500.0, "region": "East", "day": D1},
    {"nps": 3, "csat": 1, "ces": 2, "spend": 200.0, "region": "North", "day": D2, "name": "Emma Smith",
     "comment": "bad, mail me at emma@example.com"},
    # stage s2 / app: 1 detractor, 1 blank
    {"nps": 6, "csat": 2, "spend": 100.0, "region": "North", "stage": "s2", "channel": "app", "day": D2},
    {"csat": 5, "region": "North", "stage": "s2", "channel": "app", "day": D2},
]


@pytest.fixture
def db(engine: Engine) -> Engine:
    load_rows(engine, ROWS, {"a1": [5, 4, 3, 1, 2, 0]})
    return engine


def test_histograms_and_spend(db: Engine) -> None:
    cube = score_cube(db, Filters())
    nps = histogram(cube, "nps")
    assert nps["score"].tolist() == list(range(11))
    assert dict(zip(nps["score"], nps["n"], strict=True)) == {**dict.fromkeys(range(11), 0), 10: 1, 9: 1, 7: 1, 3: 1,
                                                              6: 1}
    summary = histogram_summary(nps)
    assert summary["n"] == 5 and summary["positive"] == pytest.approx(40.0) and summary["negative"] == 40.0
    assert nps.loc[nps["score"] == 7, "band"].item() == "neutral"
    csat = histogram(cube, "csat")
    assert csat["n"].tolist() == [1, 1, 1, 1, 2]
    ces = histogram(cube, "ces")
    assert ces["n"].sum() == 4 and ces.loc[ces["score"] == 4, "band"].item() == "neutral"

    split = histogram(score_cube(db, Filters(), "stage", "nps"), "nps", db, "stage", "en")
    assert split["name"].unique().tolist() == ["Stage one", "Stage two"]
    s2 = split[split["name"] == "Stage two"]
    assert s2["n"].sum() == 1 and s2.loc[s2["score"] == 6, "share"].item() == 100.0

    spend = spend_summary(cube)
    groups = spend.by_group.set_index("group")
    assert groups.loc["promoter", "spend"] == 1800.0 and groups.loc["promoter", "mean_spend"] == 900.0
    assert groups.loc["detractor", "spend"] == 300.0 and spend.at_risk == 300.0
    assert spend.at_risk_share == pytest.approx(100 * 300 / 2600)
    assert spend.promoter_vs_detractor == pytest.approx(900 / 150)
    assert spend.by_score.set_index("score").loc[10, "mean_spend"] == 1000.0


def test_heat_matrix_and_segments(db: Engine) -> None:
    m = heat_matrix(db, Filters(), "stage", "channel", "en", min_n=3)
    cells = {(r.row, r.col): (r.n, r.nps, r.low_n) for r in m.itertuples()}
    assert cells[("Stage one", "SMS survey")] == (4, 25.0, False)
    assert cells[("Stage two", "In-app survey")] == (1, -100.0, True)
    # a free-text dimension reads the rows instead of the rollup, with the same rules
    m2 = heat_matrix(db, Filters(), "region", "segment", "en", min_n=1)
    assert {(r.row, r.col): r.n for r in m2.itertuples()} == {("East", "VIP"): 2, ("East", "—"): 1,
                                                               ("North", "—"): 2}
    seg = segments(db, Filters(), "region", "en", min_n=3)
    assert seg["name"].tolist() == ["East", "North"]  # best first
    assert seg["nps"].round(1).tolist() == [66.7, -100.0] and seg["low_n"].tolist() == [False, True]
    assert (seg["low"] <= seg["nps"]).all() and (seg["high"] >= seg["nps"]).all()
    assert segments(db, Filters(regions=("North",)), "channel", "en")["n"].sum() == 2


def test_trends_from_sql(db: Engine) -> None:
    months = bucket(daily(db, Filters()), "month")
    t = trend(months, "nps")
    assert t["value"].tolist() == [pytest.approx(100 * (2 - 0) / 3), -100.0] and t["n"].tolist() == [3, 2]
    assert trend(months, "ces")["value"].tolist() == [pytest.approx(17 / 3), 2.0]


def test_attribute_histogram(db: Engine) -> None:
    hist = attribute_histogram(db, Filters(), "en")
    assert hist["score"].tolist() == [1, 2, 3, 4, 5] and hist["n"].tolist() == [1, 1, 1, 1, 1]
    narrowed = attribute_histogram(db, Filters(regions=("East",)), "en")
    assert narrowed["score"].tolist() == [3, 4, 5]


def test_drilldown_pages_and_masks(db: Engine) -> None:
    ids = {}
    with db.connect() as conn:
        ids["s1"] = conn.execute(select(JourneyStage.id).where(JourneyStage.code == "s1")).scalar_one()
        ids["sms"] = conn.execute(select(Channel.id).where(Channel.code == "sms_survey")).scalar_one()
    cell = Drill(dims=(("stage", ids["s1"]), ("channel", ids["sms"])))
    assert drill_count(db, Filters(), cell) == 4
    first = drill_page(db, Filters(), cell, page=0, page_size=3, lang="en")
    second = drill_page(db, Filters(), cell, page=1, page_size=3, lang="en")
    assert len(first) == 3 and len(second) == 1
    assert first["occurred_at"].is_monotonic_decreasing  # newest first
    everything = pd.concat([first, second])
    assert sorted(everything["nps"].tolist()) == [3, 7, 9, 10]
    assert set(everything["channel"]) == {"SMS survey"}
    masked = everything.set_index("nps")
    assert masked.loc[10, "customer"] == "张*" and masked.loc[10, "phone"] == "138****5678"
    assert "13812345678" not in masked.loc[10, "comment"] and "emma@example.com" not in masked.loc[3, "comment"]
    assert masked.loc[3, "customer"] == "E*** S****"
    clear = drill_export(db, Filters(), cell, unmask=True, lang="en").set_index("nps")
    assert clear.loc[10, "phone"] == "13812345678" and clear.loc[3, "customer"] == "Emma Smith"
    assert drill_count(db, Filters(), Drill(score=("nps", 0, 6))) == 2
    assert drill_count(db, Filters(), Drill(rating=(_attr(db), 1, 2))) == 2
    assert drill_count(db, Filters(), Drill(dims=(("segment", None),))) == 4
    assert drill_count(db, Filters(), Drill(dates=(D2, D2))) == 3
    assert drill_count(db, Filters(regions=("East",)), Drill(score=("nps", 9, 10))) == 2


def _attr(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Attribute.id).where(Attribute.code == "a1")).scalar_one()


def test_heat_matrix_equals_pandas_on_demo(demo_engine: Engine) -> None:
    stmt = select(Response.nps, Response.region, Response.segment, Response.occurred_date).where(
        Response.nps.is_not(None))
    with demo_engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(stmt).all())
    f = Filters(date_from=dt.date(2025, 11, 1))
    rows = rows[pd.to_datetime(rows["occurred_date"]) >= pd.Timestamp(f.date_from)]
    want = rows.groupby(["region", "segment"])["nps"].agg(
        n="count", nps=lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean()))
    got = heat_matrix(demo_engine, f, "region", "segment", "zh").set_index(["row", "col"])
    assert got["n"].to_dict() == want["n"].to_dict()
    assert got["nps"].round(6).to_dict() == want["nps"].round(6).to_dict()
    stage_channel = heat_matrix(demo_engine, f, "stage", "channel", "zh")  # rollup path
    with demo_engine.connect() as conn:
        total = conn.execute(select(Response.id).where(Response.nps.is_not(None),
                                                       Response.occurred_date >= f.date_from)).all()
    assert stage_channel["n"].sum() == len(total)
