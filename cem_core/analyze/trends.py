"""NPS, CSAT and CES by day, week or month, each point with its 95% CI and n, and a change marked only
when it is statistically significant against the previous point.

SQL returns additive figures per day (counts, sums and the CES sum of squares a Welch test needs);
days are re-summed into weeks (starting Monday) or months here, which is exact. Tests: NPS with
``metrics.nps_diff_significant``, CSAT top-2-box with a two-proportion z-test, the CES mean with Welch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Engine, case, func, select

from cem_core.analyze.dims import can_use_rollup
from cem_core.analyze.metrics import CSAT_TOP2_MIN, DETRACTOR_MAX, PROMOTER_MIN, NpsResult, nps_diff_significant
from cem_core.analyze.queries import Filters, apply_filters, on_one_connection, read_frame, responses, rollup
from cem_core.analyze.stats import mean_ci, proportion_ci, proportion_diff_significant, welch_significant

MEASURES = ("nps", "csat", "ces")
GRAINS = ("day", "week", "month")
#: responses columns the rollup also keeps, by the dimension code ``dims.can_use_rollup`` knows them by.
ROLLUP_CODES = {"stage_id": "stage", "channel_id": "channel", "touchpoint_id": "touchpoint"}
DAILY_COLUMNS = ("nps_n", "promoters", "detractors", "csat_n", "csat_top2", "ces_n", "ces_sum", "ces_sq")


@on_one_connection
def daily(engine: Engine, f: Filters, by: str | None = None) -> pd.DataFrame:
    """Additive figures per day: from the per-batch day rollup (``response_rollup``, ~35x fewer rows)
    unless a free-text filter or dimension needs the rows; grouping by occurred_date follows an index.

    ``by`` (a responses column such as ``channel_id`` or ``segment``) adds it as a second key, ``key``:
    alerts compare every segment's periods from the same figures the trend page draws.
    """
    extra = (by,) if by else ()
    if can_use_rollup(engine, f, tuple(ROLLUP_CODES.get(b, b) for b in extra)):
        c = rollup.c
        keys = [c.occurred_date, *(c[b] for b in extra)]
        stmt = select(c.occurred_date.label("day"), *(c[b].label("key") for b in extra),
                      *[func.sum(c[k]).label(k) for k in DAILY_COLUMNS])
        return _frame(read_frame(engine, apply_filters(stmt, f, rollup).group_by(*keys)), by)
    c = responses.c
    keys = [c.occurred_date, *(c[b] for b in extra)]

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    stmt = select(c.occurred_date.label("day"), *(c[b].label("key") for b in extra), func.count(c.nps).label("nps_n"),
                  count_if(c.nps >= PROMOTER_MIN).label("promoters"),
                  count_if(c.nps <= DETRACTOR_MAX).label("detractors"),
                  func.count(c.csat).label("csat_n"), count_if(c.csat >= CSAT_TOP2_MIN).label("csat_top2"),
                  func.count(c.ces).label("ces_n"), func.coalesce(func.sum(c.ces), 0).label("ces_sum"),
                  func.coalesce(func.sum(c.ces * c.ces), 0).label("ces_sq"))
    return _frame(read_frame(engine, apply_filters(stmt, f).group_by(*keys)), by)


def _frame(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["day", *(["key"] if by else []), *DAILY_COLUMNS])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def bucket(days: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Re-sum daily figures into ``grain`` periods (column ``period`` = the period's first day)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain: {grain}")
    day = pd.to_datetime(days["day"])
    if grain == "day":
        period = day
    elif grain == "week":
        period = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    else:
        period = day.dt.to_period("M").dt.to_timestamp()
    cols = list(DAILY_COLUMNS)
    return days.assign(period=period).groupby("period")[cols].sum().reset_index()


def period_end(start: dt.date, grain: str) -> dt.date:
    """Last day of the ``grain`` period that starts on ``start`` (as ``bucket`` numbers periods)."""
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    return (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


def trend(periods: pd.DataFrame, measure: str) -> pd.DataFrame:
    """period, value, low, high, n, change, significant, direction (+1 up / -1 down / 0 none).

    A period without answers is dropped; a change is compared with the previous period that has answers.
    """
    return trend_of_records(periods.to_dict("records"), measure)  # plain dicts: iterrows cost more


def trend_of_records(periods: list[Mapping[str, object]], measure: str) -> pd.DataFrame:
    """``trend`` of periods given as plain dicts (``period`` and the additive figures), in order: the
    overview sums its months with numpy and skips building a frame only to take it apart again."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure: {measure}")
    rows: list[dict[str, object]] = []
    prev: Mapping[str, object] | None = None
    for m in periods:
        if measure == "nps":
            cur_n = int(m["nps_n"])
            res = _nps(m)
            value, ci = res.nps, res.ci
        elif measure == "csat":
            cur_n = int(m["csat_n"])
            value = 100.0 * m["csat_top2"] / cur_n if cur_n else None
            ci = proportion_ci(int(m["csat_top2"]), cur_n)
        else:
            cur_n = int(m["ces_n"])
            value = m["ces_sum"] / cur_n if cur_n else None
            ci = mean_ci(cur_n, float(m["ces_sum"]), float(m["ces_sq"]))
        if not cur_n:
            continue
        significant = prev is not None and _significant(prev, m, measure)
        change = None if prev is None else value - rows[-1]["value"]  # type: ignore[operator]
        rows.append({"period": m["period"], "value": value, "low": ci[0] if ci else None,
                     "high": ci[1] if ci else None, "n": cur_n, "change": change, "significant": significant,
                     "direction": 0 if not significant or change is None else (1 if change > 0 else -1)})
        prev = m
    return pd.DataFrame(rows, columns=["period", "value", "low", "high", "n", "change", "significant", "direction"])


def _nps(m: Mapping) -> NpsResult:
    n, p, d = int(m["nps_n"]), int(m["promoters"]), int(m["detractors"])
    return NpsResult(n, p, n - p - d, d)


def _significant(a: Mapping, b: Mapping, measure: str) -> bool:
    if measure == "nps":
        return nps_diff_significant(_nps(a), _nps(b))
    if measure == "csat":
        return proportion_diff_significant(int(a["csat_top2"]), int(a["csat_n"]), int(b["csat_top2"]), int(b["csat_n"]))
    return welch_significant(int(a["ces_n"]), float(a["ces_sum"]), float(a["ces_sq"]),
                             int(b["ces_n"]), float(b["ces_sum"]), float(b["ces_sq"]))
