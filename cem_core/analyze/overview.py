"""The executive overview: KPIs against the previous period with their CIs, the NPS, CSAT and CES trends,
NPS by stage and channel. The executive report takes every figure from here, so the two cannot disagree.

Everything is derived from one aggregate query covering the current and the previous period
(``period_cube``), so the page costs a few small queries however many cards and charts it shows. They
group by month, channel and stage in SQL: a few hundred rows reach Python, summed there with numpy (a
pandas group-by per figure cost more than the queries). Grouping by day instead (``queries.measures_cube``)
read every row of the daily rollup (~26k at 300k responses) and sent them all to pandas: 4.6 reference
scans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, case, func, literal, or_, select, union_all

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
    date_bounds_and_check,
    on_one_connection,
    previous_period,
    responses,
    rollup,
)
from cem_core.analyze.stats import mean_ci, proportion_ci
from cem_core.analyze.trends import trend_of_records as measure_trend
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


def resolve_dates(bounds: tuple[dt.date | None, dt.date | None], f: Filters) -> tuple[dt.date, dt.date] | None:
    """The filter's dates; an open end falls back to ``default_window`` of the data's ``bounds`` (None if
    no data)."""
    lo, hi = bounds
    if lo is None or hi is None:
        return None
    start, end = default_window(lo, hi)
    return f.date_from or start, f.date_to or end


def nps_table(keys: pd.Index, sums: np.ndarray, names: dict[object, str] | None = None,
              key: str = "key", order: str | None = None) -> pd.DataFrame:
    """NPS, CI and n per group (``keys``, rows of summed ``MEASURE_COLUMNS`` in ``sums``), groups without an
    NPS answer left out, and with ``names`` a display name per key ("—" if unknown); ``order="nps"`` sorts
    by NPS, highest first. ``NpsResult``'s formulas on whole columns, and the frame built once from the
    kept arrays: a row at a time, or pandas' dropna / assign / iloc on the result, cost more than the query
    behind the page."""
    col = {m: i for i, m in enumerate(MEASURE_COLUMNS)}
    n, prom, det = (sums[:, col[m]].astype(float) for m in ("nps_n", "promoters", "detractors"))
    with np.errstate(divide="ignore", invalid="ignore"):
        nps = np.where(n > 0, 100.0 * (prom - det) / n, np.nan)
        p, d = prom / n, det / n
        margin = np.where(n >= 2, 100.0 * Z95 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0.0) / n), np.nan)
    keep = np.flatnonzero(~np.isnan(nps))
    if order == "nps":
        keep = keep[np.argsort(-nps[keep], kind="stable")]
    out = {key: keys[keep], "nps": nps[keep], "low": np.maximum(nps - margin, -100.0)[keep],
           "high": np.minimum(nps + margin, 100.0)[keep], "n": n[keep].astype(int)}
    if names is not None:
        out["name"] = [names.get(k, "—") for k in out[key]]
    return pd.DataFrame(out)


def _names(engine: Engine, lang: str) -> tuple[dict[object, str], dict[object, str]]:
    """id -> localised name of the journey stages (in journey order) and of the channels: one query for
    both (plain dicts: a merge with a frame of Arrow strings cost more than the overview's query)."""
    stmts = []
    for i, table in enumerate(("journey_stages", "channels")):
        t = Base.metadata.tables[table]
        order = t.c.position if "position" in t.c else t.c.id
        name = t.c.name_en if lang == "en" else t.c.name_zh
        stmts.append(select(literal(i).label("t"), order.label("o"), t.c.id, name.label("name")))
    both = union_all(*stmts).subquery()
    stages: dict[object, str] = {}
    channels: dict[object, str] = {}
    with engine.connect() as conn:
        for t, _, key, name in conn.execute(select(both).order_by(both.c.t, both.c.o)):
            (channels if t else stages)[key] = name
    return stages, channels


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


def _day_cube(engine: Engine, f: Filters, days: list[tuple[dt.date, dt.date]], date_from: dt.date,
              complete: bool) -> Select:
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
    return stmt.group_by(*keys)


def _cell_cube(f: Filters, months: list[tuple[dt.date, dt.date]], date_from: dt.date) -> Select:
    """The same from the month cells, for whole months (first and last month start of each range)."""
    t = analysis_rollup
    keys = [case((t.c.month >= date_from, 1), else_=0).label("current"), t.c.month, t.c.channel_id, t.c.stage_id]
    stmt = apply_filters(select(*keys, *_CELL_MEASURES), f.with_dates(None, None), t).where(
        or_(*[t.c.month.between(lo, hi) for lo, hi in months]))
    return stmt.group_by(*keys)


def sum_of(terms: list) -> ColumnElement:
    """``a + b + ...`` of SQL expressions."""
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out


#: Built once: composing these 12 expressions took a quarter of the overview's own time.
_CELL_MEASURES = [func.sum(sum_of([analysis_rollup.c[col] * k if k != 1 else analysis_rollup.c[col]
                                   for col, k in parts])).label(m) for m, parts in _CELL_SUMS.items()]


@dataclass(frozen=True)
class Cube:
    """Additive measures (``metrics.MEASURE_COLUMNS``, one row each) per current flag, month, channel and
    stage: plain arrays, as the overview only sums them by one key at a time (a pandas group-by per figure
    cost more than the queries behind them)."""

    current: np.ndarray  # bool
    month: list[str]  # first day of the month, ISO
    channel_id: list[object]
    stage_id: list[object]
    measures: np.ndarray  # (rows, len(MEASURE_COLUMNS))

    def where(self, mask: np.ndarray) -> Cube:
        rows = np.flatnonzero(mask)
        return Cube(self.current[rows], [self.month[i] for i in rows], [self.channel_id[i] for i in rows],
                    [self.stage_id[i] for i in rows], self.measures[rows])

    def total(self) -> Kpis:
        return Kpis.from_measures(dict(zip(MEASURE_COLUMNS, self.measures.sum(axis=0), strict=True)))

    def by(self, keys: list[object]) -> tuple[list[object], np.ndarray]:
        """The distinct ``keys`` (in first-seen order) and the measures summed per key."""
        index: dict[object, int] = {}
        inverse = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.intp, count=len(keys))
        out = np.zeros((len(index), len(MEASURE_COLUMNS)))
        np.add.at(out, inverse, self.measures)
        return list(index), out


def period_cube(engine: Engine, f: Filters, date_from: dt.date, complete: bool) -> Cube:
    """Additive measures per (current, month, channel_id, stage_id) of the rows ``f`` selects (its dates
    closed); ``current`` is true from ``date_from`` on; ``complete``: ``queries.rollup_is_complete``.
    Whole months come from the month cells (about 10k at 1M responses, the same at 10M) when they can
    answer ``f`` (as ``cells.answerable``), the partial months from the daily rollup or, with a free-text
    filter, the rows of those days: two queries for both periods on one connection (each round trip counts
    on Postgres)."""
    ranges = [(f.date_from, date_from - dt.timedelta(days=1)), (date_from, f.date_to)]
    if not complete or f.products or f.departments:
        stmts = [_day_cube(engine, f, ranges, date_from, complete)]
    else:
        months, days = [], []
        for lo, hi in ranges:
            whole, edges = cells.split_dates(lo, hi)
            days += edges
            if whole is not None:
                months.append(whole)
        stmts = ([_day_cube(engine, f, days, date_from, complete)] if days else []) + \
                ([_cell_cube(f, months, date_from)] if months else [])
    rows: list[tuple] = []
    with engine.connect() as conn:
        for stmt in stmts:
            rows += conn.execute(stmt).all()
    measures = np.array([r[4:] for r in rows], dtype=float).reshape(len(rows), len(MEASURE_COLUMNS))
    return Cube(np.array([int(r[0]) == 1 for r in rows], dtype=bool),
                [str(r[1])[:10] for r in rows],  # SQLite: text; Postgres: a date
                [r[2] for r in rows], [r[3] for r in rows], np.nan_to_num(measures))


@on_one_connection
def build_overview(engine: Engine, f: Filters, lang: str) -> Overview | None:
    """All overview figures for filters ``f``; None when there is no data at all. Three round trips: date
    bounds with the completeness check, the cube (one or two statements), the stage and channel names."""
    lo, hi, complete = date_bounds_and_check(engine)
    dates = resolve_dates((lo, hi), f)
    if dates is None:
        return None
    date_from, date_to = dates
    prev_from, _ = previous_period(date_from, date_to)
    cube = period_cube(engine, f.with_dates(prev_from, date_to), date_from, complete)
    cur, prev = cube.where(cube.current), cube.where(~cube.current)

    months, monthly = cur.by(cur.month)
    order = np.argsort(months, kind="stable")
    stamps = pd.DatetimeIndex(pd.to_datetime([months[i] for i in order], format="%Y-%m-%d"))
    monthly = monthly[order]
    trend = nps_table(stamps, monthly, key="month")
    periods = [{"period": stamp, **dict(zip(MEASURE_COLUMNS, row, strict=True))}
               for stamp, row in zip(stamps, monthly.tolist(), strict=True)]

    stage_names, channel_names = _names(engine, lang)  # stages ordered by journey position
    position = {k: i for i, k in enumerate(stage_names)}
    stages, by_stage_sums = cur.by(cur.stage_id)
    keep = sorted((i for i, k in enumerate(stages) if k in position), key=lambda i: position[stages[i]])
    by_stage = nps_table(pd.Index([stages[i] for i in keep]), by_stage_sums[keep], stage_names)
    channels, by_channel_sums = cur.by(cur.channel_id)
    by_channel = nps_table(pd.Index(channels), by_channel_sums, channel_names, order="nps")
    return Overview(date_from, date_to, cur.total(), prev.total(), trend, by_stage, by_channel,
                    measure_trend(periods, "csat"), measure_trend(periods, "ces"))
