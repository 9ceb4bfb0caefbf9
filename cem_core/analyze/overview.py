"""The executive overview: KPIs against the previous period with their CIs, the NPS, CSAT and CES trends,
NPS by stage and channel. The executive report takes every figure from here, so the two cannot disagree.

Everything is derived from one aggregate query covering the current and the previous period
(``period_cube``), so the page costs a few small queries however many cards and charts it shows. They
group by month, channel and stage in SQL: a few hundred rows reach Python. Grouping by day instead
(``queries.measures_cube``) read every row of the daily rollup (~26k at 300k responses) and sent them
all to pandas: 4.6 reference scans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, func, or_, select

from cem_core.analyze import cells
from cem_core.analyze.metrics import (
    CES_AGREE_MIN,
    CSAT_TOP2_MIN,
    DETRACTOR_MAX,
    MEASURE_COLUMNS,
    Z95,
    Kpis,
    sql_measures,
)
from cem_core.analyze.queries import (
    Filters,
    apply_filters,
    date_bounds,
    previous_period,
    read_frame,
    responses,
    rollup,
    rollup_is_complete,
)
from cem_core.analyze.stats import mean_ci, proportion_ci
from cem_core.analyze.trends import trend as measure_trend
from cem_core.db.models import SCORE_VALUES, Base, analysis_rollup


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
    return Kpis.from_measures(dict(zip(MEASURE_COLUMNS, frame[list(MEASURE_COLUMNS)].to_numpy().sum(axis=0),
                                       strict=True)))


def nps_table(grouped: pd.DataFrame) -> pd.DataFrame:
    """NPS, CI and n per row of a frame of summed measures (index = group): ``NpsResult``'s formulas on
    whole columns (a row at a time cost more than the query behind the page)."""
    n = grouped["nps_n"].to_numpy(dtype=float)
    prom, det = grouped["promoters"].to_numpy(dtype=float), grouped["detractors"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nps = np.where(n > 0, 100.0 * (prom - det) / n, np.nan)
        p, d = prom / n, det / n
        margin = np.where(n >= 2, 100.0 * Z95 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0.0) / n), np.nan)
    return pd.DataFrame({"key": grouped.index, "nps": nps, "low": np.maximum(nps - margin, -100.0),
                         "high": np.minimum(nps + margin, 100.0), "n": n.astype(int)})


def _named(table: pd.DataFrame, names: dict[object, str]) -> pd.DataFrame:
    out = table.assign(name=[names.get(k, "—") for k in table["key"]])
    return out.dropna(subset=["nps"])


def _names(engine: Engine, table: str, lang: str) -> dict[object, str]:
    """id -> localised name of a dimension table, in its display order (plain dicts: a merge with a frame of
    Arrow strings cost more than the overview's query)."""
    t = Base.metadata.tables[table]
    name = t.c.name_en if lang == "en" else t.c.name_zh
    with engine.connect() as conn:
        return dict(conn.execute(select(t.c.id, name).order_by(t.c.position if "position" in t.c else t.c.id)).all())


#: The overview's measures as sums over month cells (``analyze.cells``): all are linear in the cell columns.
_CELL_SUMS: dict[str, tuple[tuple[str, int], ...]] = {
    "responses": (("responses", 1),), "nps_n": (("nps_n", 1),), "promoters": (("promoters", 1),),
    "detractors": (("detractors", 1),), "csat_n": tuple((f"csat_{k}", 1) for k in SCORE_VALUES["csat"]),
    "csat_top2": tuple((f"csat_{k}", 1) for k in SCORE_VALUES["csat"] if k >= CSAT_TOP2_MIN),
    "ces_n": tuple((f"ces_{k}", 1) for k in SCORE_VALUES["ces"]),
    "ces_sum": tuple((f"ces_{k}", k) for k in SCORE_VALUES["ces"]),
    "ces_agree": tuple((f"ces_{k}", 1) for k in SCORE_VALUES["ces"] if k >= CES_AGREE_MIN),
    "spend": (("spend", 1),), "detractor_spend": tuple((f"nps_spend_{k}", 1) for k in range(DETRACTOR_MAX + 1)),
    "ces_sq": tuple((f"ces_{k}", k * k) for k in SCORE_VALUES["ces"]),
}
_KEYS = ["month", "channel_id", "stage_id"]


def _day_cube(engine: Engine, f: Filters, days: list[tuple[dt.date, dt.date]], date_from: dt.date,
              complete: bool) -> pd.DataFrame:
    """Measures per (current, month, channel, stage) over the day ranges ``days``: from ``response_rollup``
    (a row per day, channel, stage and touchpoint) unless a free-text filter needs the rows or it is
    incomplete."""
    table = responses if (f.regions or f.products or f.segments or not complete) else rollup
    c = table.c
    measures = (sql_measures(responses) if table is responses
                else [func.sum(c[m]).label(m) for m in MEASURE_COLUMNS])
    keys = [case((c.occurred_date >= date_from, 1), else_=0).label("current"),
            cells.month_of(c.occurred_date, engine.dialect.name).label("month"), c.channel_id, c.stage_id]
    stmt = apply_filters(select(*keys, *measures), f.with_dates(None, None), table).where(
        or_(*[c.occurred_date.between(lo, hi) for lo, hi in days]))
    return read_frame(engine, stmt.group_by(*keys))


def _cell_cube(engine: Engine, f: Filters, months: list[tuple[dt.date, dt.date]], date_from: dt.date
               ) -> pd.DataFrame:
    """The same from the month cells, for whole months (first and last month start of each range)."""
    t = analysis_rollup
    keys = [case((t.c.month >= date_from, 1), else_=0).label("current"), t.c.month, t.c.channel_id, t.c.stage_id]
    stmt = apply_filters(select(*keys, *_CELL_MEASURES), f.with_dates(None, None), t).where(
        or_(*[t.c.month.between(lo, hi) for lo, hi in months]))
    return read_frame(engine, stmt.group_by(*keys))


def sum_of(terms: list) -> ColumnElement:
    """``a + b + ...`` of SQL expressions."""
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


#: Built once: composing these 12 expressions took a quarter of the overview's own time.
_CELL_MEASURES = [func.sum(sum_of([analysis_rollup.c[col] * k if k != 1 else analysis_rollup.c[col]
                                   for col, k in parts])).label(m) for m, parts in _CELL_SUMS.items()]


def period_cube(engine: Engine, f: Filters, date_from: dt.date) -> pd.DataFrame:
    """Additive measures per (current, month, channel_id, stage_id) of the rows ``f`` selects (its dates
    closed); ``current`` is 1 from ``date_from`` on, 0 before. Whole months come from the month cells
    (about 10k at 1M responses, the same at 10M) when they can answer ``f`` (as ``cells.answerable``), the
    partial months from the daily rollup or, with a free-text filter, the rows of those days: two queries
    for both periods (each round trip counts on Postgres)."""
    complete = rollup_is_complete(engine)
    ranges = [(f.date_from, date_from - dt.timedelta(days=1)), (date_from, f.date_to)]
    if not complete or f.products or f.departments:
        frames = [_day_cube(engine, f, ranges, date_from, complete)]
    else:
        months, days = [], []
        for lo, hi in ranges:
            whole, edges = cells.split_dates(lo, hi)
            days += edges
            if whole is not None:
                months.append(whole)
        frames = ([_day_cube(engine, f, days, date_from, complete)] if days else []) + \
                 ([_cell_cube(engine, f, months, date_from)] if months else [])
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=["current", *_KEYS, *MEASURE_COLUMNS])
    cube = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    cube["month"] = pd.to_datetime(cube["month"].astype(str).str[:10], format="%Y-%m-%d")  # SQLite: text
    cube[list(MEASURE_COLUMNS)] = cube[list(MEASURE_COLUMNS)].astype(float)
    return cube


def build_overview(engine: Engine, f: Filters, lang: str) -> Overview | None:
    """All overview figures for filters ``f``; None when there is no data at all."""
    dates = resolve_dates(engine, f)
    if dates is None:
        return None
    date_from, date_to = dates
    prev_from, _ = previous_period(date_from, date_to)
    cube = period_cube(engine, f.with_dates(prev_from, date_to), date_from)
    in_current = cube["current"].astype(int) == 1
    cur, prev = cube[in_current], cube[~in_current]

    monthly = cur.groupby("month")[list(MEASURE_COLUMNS)].sum()
    trend = nps_table(monthly).rename(columns={"key": "month"})
    trend = trend.dropna(subset=["nps"])
    periods = monthly.rename_axis("period").reset_index()

    stage_names = _names(engine, "journey_stages", lang)  # ordered by journey position
    position = {k: i for i, k in enumerate(stage_names)}
    by_stage = _named(nps_table(cur.groupby("stage_id")[list(MEASURE_COLUMNS)].sum()), stage_names)
    by_stage = by_stage[by_stage["key"].isin(position)]
    by_stage = by_stage.iloc[np.argsort([position[k] for k in by_stage["key"]], kind="stable")]
    by_channel = _named(nps_table(cur.groupby("channel_id")[list(MEASURE_COLUMNS)].sum()),
                        _names(engine, "channels", lang)).sort_values("nps", ascending=False)
    return Overview(date_from, date_to, _sum(cur), _sum(prev), trend,
                    by_stage.reset_index(drop=True), by_channel.reset_index(drop=True),
                    measure_trend(periods, "csat"), measure_trend(periods, "ces"))
