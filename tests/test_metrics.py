"""Metric definitions on hand-made data with known answers, and SQL == pandas on the same rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import select

from cem_core.analyze.metrics import (
    Kpis,
    NpsResult,
    ces_from_scores,
    csat_from_scores,
    nps_diff_significant,
    nps_from_scores,
    sql_measures,
)
from cem_core.db.models import Response


def test_nps_counts_passives_in_denominator_and_excludes_blanks() -> None:
    # 3 promoters (9, 10, 10), 2 passives (7, 8), 1 detractor (6); two blanks ignored.
    r = nps_from_scores(pd.Series([9, 10, 10, 7, 8, 6, None, float("nan")]))
    assert (r.n, r.promoters, r.passives, r.detractors) == (6, 3, 2, 1)
    assert r.nps == pytest.approx(100 * (3 - 1) / 6)


def test_nps_boundaries() -> None:
    assert nps_from_scores(pd.Series([9])).nps == 100
    assert nps_from_scores(pd.Series([8])).nps == 0
    assert nps_from_scores(pd.Series([7])).nps == 0
    assert nps_from_scores(pd.Series([6])).nps == -100
    assert nps_from_scores(pd.Series([0, 10])).nps == 0
    assert nps_from_scores(pd.Series([], dtype=float)).nps is None


def test_nps_confidence_interval_uses_variance_of_plus_minus_variable() -> None:
    r = NpsResult(n=100, promoters=50, passives=30, detractors=20)
    p, d = 0.5, 0.2
    expected = 100 * 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 100)
    assert r.margin == pytest.approx(expected)
    assert r.ci == pytest.approx((30 - expected, 30 + expected))
    assert NpsResult(n=1, promoters=1, passives=0, detractors=0).ci is None


def test_csat_is_top_two_box_not_mean() -> None:
    assert csat_from_scores(pd.Series([5, 4, 3, 2, None])) == pytest.approx(50.0)
    assert csat_from_scores(pd.Series([3, 3])) == 0.0
    assert csat_from_scores(pd.Series([None])) is None


def test_ces_mean_and_agree_share() -> None:
    mean, agree = ces_from_scores(pd.Series([7, 5, 4, 1, None]))
    assert mean == pytest.approx(17 / 4)
    assert agree == pytest.approx(50.0)


def test_significance_on_known_values() -> None:
    big_a = NpsResult(n=2000, promoters=1000, passives=600, detractors=400)  # +30
    big_b = NpsResult(n=2000, promoters=800, passives=600, detractors=600)  # +10
    small_a = NpsResult(n=20, promoters=10, passives=6, detractors=4)
    small_b = NpsResult(n=20, promoters=8, passives=6, detractors=6)
    assert nps_diff_significant(big_a, big_b)
    assert not nps_diff_significant(small_a, small_b)


def test_sql_measures_equal_pandas_definitions(engine) -> None:
    import datetime as dt

    from cem_core.db import write_transaction
    from cem_core.db.models import ImportBatch

    rows = [
        (10, 5, 7, 100.0), (9, 4, 6, None), (8, 3, 5, 50.0), (7, None, None, 20.0),
        (6, 2, 3, 300.0), (0, 1, 1, 80.0), (None, 5, 2, 10.0), (None, None, None, None),
    ]
    with write_transaction(engine) as conn:
        bid = conn.execute(ImportBatch.__table__.insert().values(
            file_name="t", content_hash="h", started_at=dt.datetime(2024, 1, 1))).inserted_primary_key[0]
        conn.execute(Response.__table__.insert(), [
            {"batch_id": bid, "row_key": f"k{i}", "occurred_at": dt.datetime(2024, 1, 1),
             "occurred_date": dt.date(2024, 1, 1), "nps": n, "csat": c, "ces": e, "spend": s}
            for i, (n, c, e, s) in enumerate(rows)])
    with engine.connect() as conn:
        m = conn.execute(select(*sql_measures(Response.__table__))).one()._asdict()
    k = Kpis.from_measures(m)
    frame = pd.DataFrame(rows, columns=["nps", "csat", "ces", "spend"])
    assert k.responses == 8
    assert k.nps == nps_from_scores(frame["nps"])
    assert k.csat == pytest.approx(csat_from_scores(frame["csat"]))
    assert (k.ces_mean, k.ces_agree) == pytest.approx(ces_from_scores(frame["ces"]))
    assert k.detractor_spend == pytest.approx(380.0)
