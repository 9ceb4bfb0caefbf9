"""Peak-end analysis: per-journey figures on hand-made journeys, who wins on planted data, SQLite == Postgres."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from cem_core.analyze import rollup
from cem_core.analyze.queries import Filters
from cem_core.db import make_engine
from cem_core.db.models import Touchpoint
from cem_core.demo.generator import load_demo
from cem_core.journey.peakend import journey_frame, peak_end
from tests.journey_data import load_journeys

HAND = {
    # peak: 1 (wifi) and 5 (checkout) are equally far from 3 -> the later one; trough 1; end 5.
    "a": [("arrival/check_in", 2, None), ("stay/room", 4, None), ("stay/wifi", 1, None), ("checkout/checkout", 5, 8)],
    # two 1s: peak and trough go to the later one (room); end 3.
    "tie_low": [("arrival/check_in", 1, None), ("stay/room", 1, None), ("stay/breakfast", 3, None),
                ("checkout/checkout", 3, 4)],
    # blanks are skipped: the end is the last *scored* touchpoint, the overall rating sits on an unscored row.
    "missing": [("arrival/check_in", 5, None), ("stay/room", None, None), ("stay/wifi", 4, None),
                ("stay/breakfast", 2, None), ("checkout/checkout", None, 9)],
    # two overall ratings: the later one counts.
    "two_overall": [("arrival/check_in", 4, None), ("stay/room", 4, 3), ("stay/wifi", 4, None),
                    ("checkout/checkout", 4, 7)],
    "short": [("arrival/check_in", 1, None), ("checkout/checkout", 5, 6)],  # 2 scores: not a journey here
    "no_overall": [("arrival/check_in", 1, None), ("stay/room", 2, None), ("checkout/checkout", 5, None)],
}


def test_hand_made_journeys(engine: Engine) -> None:
    tp = load_journeys(engine, HAND)
    frame = journey_frame(engine, Filters()).set_index("jk")
    assert sorted(frame.index) == ["a", "missing", "tie_low", "two_overall"]
    a = frame.loc["a"]
    assert (a.n, a.peak, a.peak_tp, a.trough, a.trough_tp, a.end, a.end_tp, a.overall) == (
        4, 5, tp["checkout/checkout"], 1, tp["stay/wifi"], 5, tp["checkout/checkout"], 8)
    assert a["mean"] == 3.0 and a.peak_end == 5.0
    t = frame.loc["tie_low"]
    assert (t.peak, t.peak_tp, t.trough, t.trough_tp, t.end) == (1, tp["stay/room"], 1, tp["stay/room"], 3)
    assert t["mean"] == 2.0 and t.peak_end == 2.0
    m = frame.loc["missing"]
    assert (m.n, m.peak, m.peak_tp, m.end, m.end_tp, m.trough, m.overall) == (
        3, 5, tp["arrival/check_in"], 2, tp["stay/breakfast"], 2, 9)
    assert m["mean"] == pytest.approx(11 / 3) and m.peak_end == 3.5
    assert frame.loc["two_overall"].overall == 7
    assert frame.loc["two_overall"].peak_tp == tp["checkout/checkout"]  # all tied at 4: the latest step
    assert list(journey_frame(engine, Filters(), keys=("a",))["jk"]) == ["a"]


def test_hand_made_summary(engine: Engine) -> None:
    tp = load_journeys(engine, HAND)
    res = peak_end(engine, Filters())
    assert res.journeys == 4
    rec = res.recovery.set_index("kind")
    # a: trough 1 then end 5 -> recovered; tie_low: end 3 after 1s -> low, unresolved; missing: end 2 -> badly.
    assert rec.loc["recovered", "journeys"] == 1 and rec.loc["recovered", "overall"] == 8
    assert rec.loc["low_unresolved", "journeys"] == 1 and rec.loc["ended_badly", "journeys"] == 1
    assert rec.loc["no_low", "journeys"] == 1 and rec.loc["no_low", "overall"] == 7
    neg = res.negative_peaks.set_index("touchpoint_id")
    assert set(neg.index) == {tp["stay/wifi"], tp["stay/room"], tp["stay/breakfast"]}
    assert neg.loc[tp["stay/wifi"], "overall"] == 8
    assert bool(neg["low_n"].all())
    ends = res.ends.set_index("touchpoint_id")
    assert ends.loc[tp["checkout/checkout"], "journeys"] == 3 and ends.loc[tp["stay/breakfast"], "journeys"] == 1


def test_empty_database_has_no_winner(engine: Engine) -> None:
    res = peak_end(engine, Filters())
    assert res.journeys == 0 and res.winner is None and res.as_dict()["peak_end"] == {"r": None, "ci": None, "n": 0}


def test_demo_peak_end_wins_with_separate_intervals(demo_engine: Engine) -> None:
    res = peak_end(demo_engine, Filters())
    pe, mean = res.predictors["peak_end"], res.predictors["mean"]
    assert res.journeys > 1000 and pe.n == res.journeys
    assert res.winner == "peak_end" and res.clear
    assert pe.ci[0] > mean.ci[1]  # non-overlapping 95 % intervals
    assert pe.ci[0] <= pe.r <= pe.ci[1]
    assert res.peak_end_minus_mean_ci[0] > 0


def test_mean_wins_when_the_overall_rating_follows_the_mean(sqlite_engine: Engine) -> None:
    """Same code, other truth: rewrite each journey's overall rating as twice its mean CSAT (rounded)."""
    load_demo(sqlite_engine, rows=4000, seed=11)
    with sqlite_engine.begin() as conn:
        conn.execute(text(
            "UPDATE responses SET overall_sat = (SELECT CAST(round(2.0 * avg(r2.csat)) AS INTEGER) FROM responses r2 "
            "WHERE r2.journey_key = responses.journey_key) WHERE overall_sat IS NOT NULL"))
        rollup.rebuild_all(conn)  # a manual edit of the rows: the journeys' rollup follows
    res = peak_end(sqlite_engine, Filters())
    assert res.winner == "mean" and res.clear
    assert res.predictors["mean"].ci[0] > res.predictors["peak_end"].ci[1]
    assert res.peak_end_minus_mean_ci[1] < 0


def test_weak_touchpoints_are_the_most_frequent_negative_peaks(demo_engine: Engine) -> None:
    """The hotel template's touchpoints with a negative quality (check-in, complaints, Wi-Fi, price check)
    are the worst moment of a journey more often, per scored response, than every other touchpoint."""
    res = peak_end(demo_engine, Filters())
    with demo_engine.connect() as conn:
        codes = dict(conn.execute(text("SELECT id, code FROM touchpoints")).all())
    top = [codes[t] for t in res.negative_peaks.sort_values("rate", ascending=False)["touchpoint_id"].head(4)]
    assert set(top) == {"check_in", "complaint", "wifi", "price_check"}
    assert {codes[t] for t in res.negative_peaks["touchpoint_id"].head(2)} <= {"check_in", "complaint"}
    assert Touchpoint.__tablename__ == "touchpoints"


def test_filters_narrow_the_journeys(demo_engine: Engine) -> None:
    everything = peak_end(demo_engine, Filters()).journeys
    vip = peak_end(demo_engine, Filters(segments=("VIP",))).journeys
    assert 0 < vip < everything


@pytest.mark.postgres
def test_sqlite_and_postgres_agree(demo_sqlite_url: str, demo_pg_url: str) -> None:
    results = []
    for url in (demo_sqlite_url, demo_pg_url):
        engine = make_engine(url)
        res = peak_end(engine, Filters())
        results.append((res.as_dict(), res.negative_peaks.to_dict("list"), res.ends.to_dict("list"),
                        journey_frame(engine, Filters(), keys=("demo-hotel-7-j5", "demo-hotel-7-j6")).to_dict("list")))
        engine.dispose()
    assert results[0] == results[1]
