"""Confidence intervals, significance tests and trend marks on hand-made figures with known answers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cem_core.analyze.stats import (
    mean_ci,
    proportion_ci,
    proportion_diff_significant,
    t_quantile_975,
    welch_significant,
)
from cem_core.analyze.trends import bucket, period_end, trend


@pytest.mark.parametrize(("df", "table"), [(3, 3.182), (5, 2.571), (10, 2.228), (30, 2.042), (120, 1.980)])
def test_t_quantile_matches_tables(df: int, table: float) -> None:
    assert t_quantile_975(df) == pytest.approx(table, abs=0.004)


def test_proportion_ci_is_wilson() -> None:
    # 40 of 50: Wilson 95% interval is 66.96% .. 88.76% (textbook value).
    low, high = proportion_ci(40, 50)
    assert low == pytest.approx(66.96, abs=0.01) and high == pytest.approx(88.76, abs=0.01)
    assert proportion_ci(0, 0) is None
    low, high = proportion_ci(0, 10)
    assert low == 0.0 and 0 < high < 35


def test_mean_ci_from_sums() -> None:
    values = [4, 5, 6, 5, 7, 3, 5, 6]
    n, s, ss = len(values), sum(values), sum(v * v for v in values)
    mean = s / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    low, high = mean_ci(n, s, ss)
    half = 2.365 * sd / math.sqrt(n)  # t(7) = 2.365
    assert low == pytest.approx(mean - half, abs=0.01) and high == pytest.approx(mean + half, abs=0.01)


def test_two_proportion_test_known_answers() -> None:
    # 60/100 vs 45/100: z = 2.12 > 1.96; 55/100 vs 50/100: z = 0.71.
    assert proportion_diff_significant(60, 100, 45, 100)
    assert not proportion_diff_significant(55, 100, 50, 100)
    assert not proportion_diff_significant(1, 0, 1, 1)


def _sums(values: list[float]) -> tuple[int, float, float]:
    return len(values), float(sum(values)), float(sum(v * v for v in values))


def test_welch_known_answers() -> None:
    a = [5, 6, 5, 6, 5, 6, 5, 6, 5, 6] * 3  # mean 5.5
    b = [4, 5, 4, 5, 4, 5, 4, 5, 4, 5] * 3  # mean 4.5, same spread: t ~ 7.5
    assert welch_significant(*_sums(a), *_sums(b))
    c = [5, 6, 5, 6, 4, 7, 5, 6, 5, 6]  # mean 5.5 as well
    assert not welch_significant(*_sums(a), *_sums(c))
    assert not welch_significant(1, 5, 25, 1, 6, 36)  # no variance estimate from one answer


def _periods(rows: list[dict[str, float]]) -> pd.DataFrame:
    base = {"nps_n": 0, "promoters": 0, "detractors": 0, "csat_n": 0, "csat_top2": 0, "ces_n": 0, "ces_sum": 0,
            "ces_sq": 0}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_trend_marks_only_significant_changes() -> None:
    days = _periods([
        {"day": "2025-01-05", "nps_n": 400, "promoters": 200, "detractors": 80},   # NPS 30
        {"day": "2025-02-03", "nps_n": 400, "promoters": 196, "detractors": 84},   # NPS 28: noise
        {"day": "2025-03-10", "nps_n": 400, "promoters": 120, "detractors": 160},  # NPS -10: a real drop
        {"day": "2025-04-01", "nps_n": 0},                                         # no answers: skipped
        {"day": "2025-05-01", "nps_n": 10, "promoters": 8, "detractors": 1},       # NPS 70, n=10: wide CI, still far
    ])
    days["day"] = pd.to_datetime(days["day"])
    t = trend(bucket(days, "month"), "nps")
    assert t["value"].round(1).tolist() == [30.0, 28.0, -10.0, 70.0]
    assert t["significant"].tolist() == [False, False, True, True]
    assert t["direction"].tolist() == [0, 0, -1, 1]
    assert (t["low"] < t["value"]).all() and (t["high"] > t["value"]).all()
    # with 10 answers the last point's interval is wide
    assert (t["high"] - t["low"]).iloc[-1] > 3 * (t["high"] - t["low"]).iloc[0]


def test_trend_csat_and_ces_and_weekly_buckets() -> None:
    days = _periods([
        {"day": "2025-01-06", "csat_n": 200, "csat_top2": 150, "ces_n": 50, "ces_sum": 250, "ces_sq": 1300},
        {"day": "2025-01-08", "csat_n": 200, "csat_top2": 150, "ces_n": 50, "ces_sum": 250, "ces_sq": 1300},
        {"day": "2025-01-13", "csat_n": 400, "csat_top2": 240, "ces_n": 100, "ces_sum": 500, "ces_sq": 2600},
    ])
    days["day"] = pd.to_datetime(days["day"])
    weeks = bucket(days, "week")
    assert weeks["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-13"]
    csat = trend(weeks, "csat")
    assert csat["value"].tolist() == [75.0, 60.0] and csat["significant"].tolist() == [False, True]
    ces = trend(weeks, "ces")
    assert ces["value"].tolist() == [5.0, 5.0] and not ces["significant"].any()


@pytest.mark.parametrize(("start", "grain", "end"), [
    ("2025-01-06", "day", "2025-01-06"), ("2025-01-06", "week", "2025-01-12"),
    ("2024-02-01", "month", "2024-02-29"), ("2025-12-01", "month", "2025-12-31"),
])
def test_period_end_closes_the_bucket(start: str, grain: str, end: str) -> None:
    """A click on a trend point drills into exactly the days its bucket summed."""
    assert period_end(dt.date.fromisoformat(start), grain) == dt.date.fromisoformat(end)
