"""Journey map and emotion curve: figures equal a direct computation from the rows, the rollup and the row
path agree, a registered sentiment source fills the negative-comment column, SQLite == Postgres."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from cem_core.analyze.queries import Filters
from cem_core.db import make_engine
from cem_core.journey import curve, journeymap, sources
from cem_core.journey import templates as tpl
from tests.journey_data import load_journeys
from tests.test_journey_peakend import HAND


def _rows(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text("SELECT touchpoint_id, nps, csat, segment FROM responses"), conn)


def test_map_matches_the_rows(demo_engine: Engine) -> None:
    frame = journeymap.touchpoint_map(demo_engine, Filters(), "en")
    rows = _rows(demo_engine)
    room = frame[frame["touchpoint"] == "Room"].iloc[0]
    mine = rows[rows["touchpoint_id"] == room["touchpoint_id"]]
    nps = mine["nps"].dropna()
    assert room["responses"] == len(mine) and room["nps_n"] == len(nps)
    assert room["nps"] == pytest.approx(100 * ((nps >= 9).mean() - (nps <= 6).mean()))
    assert room["csat"] == pytest.approx(100 * (mine["csat"].dropna() >= 4).mean())
    assert frame["stage_order"].is_monotonic_increasing
    assert frame["stage"].iloc[0] == "Awareness" and frame["stage"].iloc[-1] == "Loyalty"
    scored = journeymap.with_score(frame, "nps")
    assert (scored["low_n"] == (scored["nps_n"] < journeymap.MIN_N)).all()


def test_rollup_and_rows_agree(demo_engine: Engine) -> None:
    """A free-text filter forces the row path; a segment that is everyone makes it comparable."""
    cols = ["touchpoint_id", "responses", "nps_n", "nps", "csat_n", "csat"]
    via_rollup = journeymap.touchpoint_map(demo_engine, Filters(), "en")[cols]
    everyone = tuple(_rows(demo_engine)["segment"].dropna().unique())
    via_rows = journeymap.touchpoint_map(demo_engine, Filters(segments=everyone), "en")[cols]
    pd.testing.assert_frame_equal(via_rollup, via_rows)
    vip = journeymap.touchpoint_map(demo_engine, Filters(segments=("VIP",)), "en")
    assert 0 < vip["responses"].sum() < via_rollup["responses"].sum()


def test_sentiment_source_fills_the_column(demo_engine: Engine) -> None:
    def fake(engine: Engine, f: Filters) -> pd.DataFrame:
        return pd.DataFrame({"touchpoint_id": [5], "comments": [40], "negative": [10]})

    def topics(engine: Engine, f: Filters, lang: str, tid: int | None) -> pd.DataFrame:
        return pd.DataFrame({"touchpoint_id": [5, 5], "topic": ["queue", "staff"], "negative": [3, 7]})

    sources.register_sentiment(fake)
    sources.register_topics(topics)
    try:
        frame = journeymap.touchpoint_map(demo_engine, Filters(), "en").set_index("touchpoint_id")
    finally:
        sources.unregister("sentiment")
        sources.unregister("topics")
    assert frame.loc[5, "neg_share"] == 25.0 and frame.loc[5, "top_topic"] == "staff"
    assert frame.drop(index=5)["neg_share"].isna().all()


def test_retired_touchpoints_leave_the_map(engine: Engine) -> None:
    tp = load_journeys(engine, HAND)
    tpl.retire(engine, "touchpoint", tp["stay/wifi"], "admin")
    frame = journeymap.touchpoint_map(engine, Filters(), "en")
    assert tp["stay/wifi"] not in frame["touchpoint_id"].tolist()
    assert tp["stay/room"] in frame["touchpoint_id"].tolist()
    hist = journeymap.touchpoint_histogram(engine, Filters(), tp["stay/room"], "csat")
    assert dict(zip(hist["score"], hist["n"], strict=True)) == {1: 1, 2: 1, 3: 0, 4: 2, 5: 0}


def test_emotion_curve(engine: Engine) -> None:
    tp = load_journeys(engine, HAND)
    cur = curve.emotion_curve(engine, Filters(), "csat", lang="en")
    room = cur[cur["touchpoint_id"] == tp["stay/room"]].iloc[0]
    assert room["n"] == 4 and room["mean"] == pytest.approx(2.75)  # 4, 1, 4, 2 (one blank left out)
    assert room["lo"] < 2.75 < room["hi"]
    assert cur["step"].tolist() == list(range(len(cur)))
    assert not cur["lowest"].any()  # every step rests on fewer than MIN_N answers
    stages = curve.emotion_curve(engine, Filters(), "csat", "stage", "en")
    stay = stages[stages["label"] == "Stay"].iloc[0]
    assert stay["n"] == 9 and stay["mean"] == pytest.approx(25 / 9)


def test_curve_marks_the_lowest_points(demo_engine: Engine) -> None:
    cur = curve.emotion_curve(demo_engine, Filters(), "csat", lang="en")
    lowest = set(cur.loc[cur["lowest"], "touchpoint"])
    assert lowest == {"Front-desk check-in", "Complaint handling"}
    both = curve.compare(demo_engine, Filters(segments=("VIP",)), Filters(segments=("新客",)), ("VIP", "New"))
    assert set(both["series"]) == {"VIP", "New"}
    vip = both[both["series"] == "VIP"]["mean"].mean()
    new = both[both["series"] == "New"]["mean"].mean()
    assert vip > new  # VIPs are planted happier


@pytest.mark.postgres
def test_sqlite_and_postgres_agree(demo_sqlite_url: str, demo_pg_url: str) -> None:
    out = []
    for url in (demo_sqlite_url, demo_pg_url):
        engine = make_engine(url)
        out.append((journeymap.touchpoint_map(engine, Filters(), "en"),
                    curve.emotion_curve(engine, Filters(segments=("VIP",)), "nps", lang="zh")))
        engine.dispose()
    pd.testing.assert_frame_equal(out[0][0], out[1][0])
    pd.testing.assert_frame_equal(out[0][1], out[1][1])


def test_text_analysis_fills_negative_share_and_topic(demo_engine: Engine) -> None:
    """The demo's comments are analysed at load: every touchpoint with comments gets a negative-comment share
    and a top negative topic, and the weak touchpoints (lowest NPS) have the most negative comments."""
    frame = journeymap.touchpoint_map(demo_engine, Filters(), "en")
    with_comments = frame[frame["comments"] > 0]
    assert len(with_comments) == len(frame)
    assert with_comments["top_topic"].notna().all()
    scored = frame.dropna(subset=["nps"]).sort_values("nps")
    weakest, rest = scored.head(3), scored.iloc[3:]
    assert weakest["neg_share"].mean() > rest["neg_share"].mean() + 10
