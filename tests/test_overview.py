"""Overview figures equal an independent pandas computation, and SQLite equals Postgres on the same data."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cem_core.analyze.metrics import ces_from_scores, csat_from_scores, nps_from_scores
from cem_core.analyze.overview import build_overview, default_window
from cem_core.analyze.queries import Filters, date_bounds, previous_period
from cem_core.cli import main as cli_main
from cem_core.db import make_engine
from cem_core.db.models import Channel, JourneyStage, Response


def all_rows(engine: Engine) -> pd.DataFrame:
    """Every response with its channel and stage code: fine for a 6,000-row test set, never in the app."""
    stmt = (select(Response.occurred_date, Response.nps, Response.csat, Response.ces, Response.spend,
                   Response.region, Channel.code.label("channel"), JourneyStage.code.label("stage"))
            .join(Channel, Channel.id == Response.channel_id).join(JourneyStage, JourneyStage.id == Response.stage_id))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all())
    frame["occurred_date"] = pd.to_datetime(frame["occurred_date"]).dt.date
    return frame


def matching(rows: pd.DataFrame, f: Filters, start: dt.date, end: dt.date) -> pd.Series:
    """The rows ``f`` selects between ``start`` and ``end``, computed in pandas independently of SQL."""
    mask = (rows["occurred_date"] >= start) & (rows["occurred_date"] <= end)
    for column, wanted in (("channel", f.channels), ("stage", f.stages), ("region", f.regions)):
        if wanted:
            mask &= rows[column].isin(wanted)
    return mask


def expected(frame: pd.DataFrame) -> dict[str, object]:
    nps = nps_from_scores(frame["nps"])
    ces_mean, _ = ces_from_scores(frame["ces"])
    detractor_spend = frame.loc[frame["nps"] <= 6, "spend"].sum()
    return {"responses": len(frame), "nps": nps.nps, "nps_n": nps.n, "csat": csat_from_scores(frame["csat"]),
            "ces": ces_mean, "detractor_spend": detractor_spend}


FILTERS = [
    Filters(),
    Filters(channels=("sms_survey", "app")),
    Filters(stages=("stay",), regions=("华东",)),
    Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 8, 31)),
]


@pytest.mark.parametrize("f", FILTERS, ids=["all", "channels", "stage+region", "dates"])
def test_overview_kpis_equal_pandas(demo_engine: Engine, f: Filters) -> None:
    rows = all_rows(demo_engine)
    lo, hi = date_bounds(demo_engine)
    start, end = (f.date_from, f.date_to) if f.date_from else default_window(lo, hi)
    mask = matching(rows, f, start, end)
    ov = build_overview(demo_engine, f, "en")
    want = expected(rows[mask])
    got = ov.current
    assert got.responses == want["responses"] > 0
    assert got.nps.n == want["nps_n"]
    assert got.nps.nps == pytest.approx(want["nps"])
    assert got.csat == pytest.approx(want["csat"])
    assert got.ces_mean == pytest.approx(want["ces"])
    assert got.detractor_spend == pytest.approx(want["detractor_spend"])

    p_from, p_to = previous_period(start, end)
    prev_mask = matching(rows, f, p_from, p_to)
    assert ov.previous.responses == int(prev_mask.sum())
    assert int(ov.by_stage["n"].sum()) == want["nps_n"]
    assert int(ov.by_channel["n"].sum()) == want["nps_n"]
    assert int(ov.trend["n"].sum()) == want["nps_n"]


@pytest.mark.postgres
@pytest.mark.parametrize("f", FILTERS, ids=["all", "channels", "stage+region", "dates"])
def test_sqlite_and_postgres_give_equal_overviews(demo_engine: Engine, demo_pg_url: str, f: Filters) -> None:
    pg = make_engine(demo_pg_url)
    try:
        a, b = build_overview(demo_engine, f, "zh"), build_overview(pg, f, "zh")
    finally:
        pg.dispose()
    for left, right in ((a.current, b.current), (a.previous, b.previous)):
        assert left.as_dict() == right.as_dict()  # exact counts; floats rounded (summation order differs)
        assert left.spend == pytest.approx(right.spend)
    for left, right in ((a.trend, b.trend), (a.by_stage, b.by_stage), (a.by_channel, b.by_channel)):
        pd.testing.assert_frame_equal(left.drop(columns=["key"], errors="ignore").reset_index(drop=True),
                                      right.drop(columns=["key"], errors="ignore").reset_index(drop=True))


def test_empty_database_has_no_overview(engine: Engine) -> None:
    assert build_overview(engine, Filters(), "en") is None


def test_cli_stats_json_equals_overview(demo_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["stats", "--json"], engine=demo_engine) == 0
    stats = json.loads(capsys.readouterr().out)
    cur = build_overview(demo_engine, Filters(), "en").current
    assert stats["responses"] == cur.responses
    assert stats["nps"] == round(cur.nps.nps, 2)
    assert stats["csat"] == round(cur.csat, 2)
    assert stats["ces"] == round(cur.ces_mean, 3)

    assert cli_main(["stats", "--json", "--from", "2025-01-01", "--to", "2025-06-30", "--channel", "app"],
                    engine=demo_engine) == 0
    narrowed = json.loads(capsys.readouterr().out)
    f = Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 6, 30), channels=("app",))
    assert narrowed["responses"] == build_overview(demo_engine, f, "en").current.responses < stats["responses"]
