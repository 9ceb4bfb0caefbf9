"""The executive overview: KPIs against the previous period with their CIs, the NPS, CSAT and CES trends,
NPS by stage and channel. The executive report takes every figure from here, so the two cannot disagree.

Everything is derived from one ``measures_cube`` scan covering the current and the previous period,
so the page costs one aggregate query however many cards and charts it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cem_core.analyze.metrics import MEASURE_COLUMNS, Kpis
from cem_core.analyze.queries import Filters, date_bounds, dimension_table, measures_cube, previous_period
from cem_core.analyze.stats import mean_ci, proportion_ci
from cem_core.analyze.trends import trend as measure_trend


@dataclass(frozen=True)
class Overview:
    date_from: dt.date
    date_to: dt.date
    current: Kpis
    previous: Kpis
    trend: pd.DataFrame  # month, nps, low, high, n
    by_stage: pd.DataFrame  # name, nps, low, high, n
    by_channel: pd.DataFrame  # name, nps, low, high, n
    csat_trend: pd.DataFrame  # monthly, as the Analysis page's trend: period, value, low, high, n, change, ...
    ces_trend: pd.DataFrame


def csat_ci(k: Kpis) -> tuple[float, float] | None:
    """95 % CI of CSAT (top-2-box share), the interval the Analysis page's CSAT trend draws."""
    return proportion_ci(k.csat_top2, k.csat_n)


def ces_ci(k: Kpis) -> tuple[float, float] | None:
    """95 % t interval of the CES mean, from the rollup's sum and sum of squares (as the CES trend's)."""
    return mean_ci(k.ces_n, k.ces_sum, k.ces_sq)


DEFAULT_WINDOW_DAYS = 365


def default_window(lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months of data: recent enough to act on, with a previous year to compare against."""
    return max(lo, hi - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)), hi


def resolve_dates(engine: Engine, f: Filters) -> tuple[dt.date, dt.date] | None:
    """The filter's dates; an open end falls back to ``default_window`` of the data (None if no data)."""
    lo, hi = date_bounds(engine)
    if lo is None or hi is None:
        return None
    start, end = default_window(lo, hi)
    return f.date_from or start, f.date_to or end


def _sum(frame: pd.DataFrame) -> Kpis:
    return Kpis.from_measures(frame[list(MEASURE_COLUMNS)].sum())


def nps_table(grouped: pd.DataFrame) -> pd.DataFrame:
    """NPS, CI and n per row of a frame of summed measures (index = group)."""
    rows = []
    for key, m in grouped.iterrows():
        k = Kpis.from_measures(m).nps
        ci = k.ci or (None, None)
        rows.append({"key": key, "nps": k.nps, "low": ci[0], "high": ci[1], "n": k.n})
    return pd.DataFrame(rows, columns=["key", "nps", "low", "high", "n"])


def _named(table: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    out = table.merge(names[["id", "name"]], left_on="key", right_on="id", how="left")
    out["name"] = out["name"].fillna("—")
    return out.drop(columns=["id"]).dropna(subset=["nps"])


def build_overview(engine: Engine, f: Filters, lang: str) -> Overview | None:
    """All overview figures for filters ``f``; None when there is no data at all."""
    dates = resolve_dates(engine, f)
    if dates is None:
        return None
    date_from, date_to = dates
    prev_from, _ = previous_period(date_from, date_to)
    cube = measures_cube(engine, f.with_dates(prev_from, date_to))
    if cube.empty:
        cube = pd.DataFrame(columns=["day", "channel_id", "stage_id", *MEASURE_COLUMNS])
        cube["day"] = pd.to_datetime(cube["day"])
    in_current = cube["day"] >= pd.Timestamp(date_from)
    cur, prev = cube[in_current], cube[~in_current]

    monthly = cur.groupby(cur["day"].dt.to_period("M"))[list(MEASURE_COLUMNS)].sum()
    trend = nps_table(monthly).rename(columns={"key": "month"})
    trend["month"] = trend["month"].map(lambda p: p.to_timestamp())
    trend = trend.dropna(subset=["nps"])
    periods = monthly.rename_axis("period").reset_index()
    periods["period"] = periods["period"].map(lambda p: p.to_timestamp())

    stage_names = dimension_table(engine, "journey_stages", lang)  # ordered by journey position
    by_stage = _named(nps_table(cur.groupby("stage_id")[list(MEASURE_COLUMNS)].sum()), stage_names)
    by_stage = by_stage.set_index("key").reindex([k for k in stage_names["id"] if k in set(by_stage["key"])])
    by_stage = by_stage.rename_axis("key").reset_index()
    by_channel = _named(nps_table(cur.groupby("channel_id")[list(MEASURE_COLUMNS)].sum()),
                        dimension_table(engine, "channels", lang)).sort_values("nps", ascending=False)
    return Overview(date_from, date_to, _sum(cur), _sum(prev), trend,
                    by_stage.reset_index(drop=True), by_channel.reset_index(drop=True),
                    measure_trend(periods, "csat"), measure_trend(periods, "ces"))
