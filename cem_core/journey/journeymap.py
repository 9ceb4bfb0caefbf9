"""The journey map: every active touchpoint of the journey, in stage order, with its figures.

Per touchpoint: volume (responses), NPS with n and its 95 % margin, CSAT (top-2-box %) with n and its
Wilson interval, the negative-comment share and top negative topic when a text source exists
(``journey.sources``), and ``low_n`` when the shown score rests on fewer than ``MIN_N`` answers. Blanks
follow ``cem_core.analyze.metrics``: a measure's n counts only rows that answered it.

The figures come from ``response_rollup`` (grouped by stage and touchpoint, a few thousand rows at 1M
responses) whenever it answers the filters; under a region, product or segment filter from ``touchpoint_cell``
(``analyze.touchpoint_cells``: whole months, plus the rows of partial edge months); only when a writer skipped
the rollups from one grouped scan of ``responses``. Touchpoints
without feedback still appear (n = 0) so the map shows the whole journey; responses on a stage without
a touchpoint appear as that stage's "(no touchpoint)" row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, func, select

from cem_core.analyze import touchpoint_cells
from cem_core.analyze.dims import can_use_rollup, filtered_rows
from cem_core.analyze.distributions import SCALES, histogram
from cem_core.analyze.metrics import MEASURE_COLUMNS, Kpis, sql_measures
from cem_core.analyze.queries import (
    Filters,
    apply_filters,
    on_one_connection,
    read_frame,
    responses,
    rollup,
    rollup_is_complete,
)
from cem_core.analyze.stats import proportion_ci
from cem_core.journey import sources
from cem_core.journey.templates import layout

MIN_N = 30
MEASURES = ("nps", "csat")
INT_MEASURES = ("responses", "nps_n", "csat_n")  # the map's integer counts; the other sums are floats


def touchpoint_measures(engine: Engine, f: Filters) -> pd.DataFrame:
    """Additive measures per (stage_id, touchpoint_id) under the filters."""
    return read_frame(engine, _measures_sql(engine, f))


def _measures_sql(engine: Engine, f: Filters) -> Select:
    """``touchpoint_measures``' statement: ``response_rollup`` when it answers the filters, under a region,
    product or segment filter the touchpoint cells, else (a writer skipped the rollups) the rows."""
    if can_use_rollup(engine, f, ("stage", "touchpoint")):
        c = rollup.c
        return apply_filters(select(c.stage_id, c.touchpoint_id, *[func.sum(c[m]).label(m) for m in MEASURE_COLUMNS]),
                             f, rollup).group_by(c.stage_id, c.touchpoint_id)
    if rollup_is_complete(engine):  # a region, product or segment filter: the touchpoint cells
        return touchpoint_cells.sums_sql(f, MEASURE_COLUMNS)
    rows = filtered_rows(f, responses.c.stage_id, responses.c.touchpoint_id, responses.c.nps, responses.c.csat,
                         responses.c.ces, responses.c.spend)
    return select(rows.c.stage_id, rows.c.touchpoint_id, *sql_measures(rows)).group_by(
        rows.c.stage_id, rows.c.touchpoint_id)


def _id(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


@on_one_connection
def touchpoint_map(engine: Engine, f: Filters, lang: str = "zh") -> pd.DataFrame:
    """One row per active touchpoint in journey order (see the module docstring for the columns).

    Built in plain Python over the few dozen touchpoints, one frame at the end: the pandas merges, fills and
    casts it replaced were a fixed ~15 ms a call, half of a filtered map's cost at 1M responses beside SQL of
    a few cells. All its queries share one connection (``on_one_connection``: on Postgres each checkout costs
    round trips)."""
    lay = layout(engine, lang)
    with engine.connect() as conn:
        result = conn.execute(_measures_sql(engine, f))
        at = [list(result.keys()).index(m) for m in MEASURE_COLUMNS]
        measures = {(_id(r[0]), _id(r[1])): [float(r[i] or 0) for i in at] for r in result.fetchall()}
    places = list(zip(lay["stage_id"], lay["stage"], lay["stage_order"], lay["touchpoint_id"], lay["touchpoint"],
                      lay["tp_order"], lay["department"], strict=True))
    places = [(int(s), stage, int(so), _id(t), tp, int(to), dep) for s, stage, so, t, tp, to, dep in places]
    if not measures:
        places = [p for p in places if p[3] is not None]
    else:  # responses with a stage but no touchpoint: that stage's "(no touchpoint)" row
        stages = {p[0]: p for p in reversed(places)}  # a stage's first row
        loose = [s for s, t in measures if t is None and s in stages]
        if loose:
            places = [p for p in places if p[3] is not None]
            places += [(s, stages[s][1], stages[s][2], None, None, 999, None) for s in loose]
    places.sort(key=lambda p: (p[2], p[5]))
    zero = [0.0] * len(MEASURE_COLUMNS)
    sums = [measures.get((p[0], p[3]), zero) for p in places]
    cols: dict[str, object] = {
        "stage_id": pd.array([p[0] for p in places], dtype="Int64"), "stage": [p[1] for p in places],
        "stage_order": np.array([p[2] for p in places], dtype=np.int64),
        "touchpoint_id": pd.array([p[3] for p in places], dtype="Int64"), "touchpoint": [p[4] for p in places],
        "tp_order": np.array([p[5] for p in places], dtype=np.int64), "department": [p[6] for p in places]}
    for i, m in enumerate(MEASURE_COLUMNS):
        cols[m] = np.array([row[i] for row in sums], dtype=np.int64 if m in INT_MEASURES else float)
    kpis = [Kpis.from_measures(dict(zip(MEASURE_COLUMNS, row, strict=True))) for row in sums]
    cis = [proportion_ci(int(k.csat_top2), k.csat_n) for k in kpis]
    cols.update(nps=[k.nps.nps for k in kpis], nps_margin=[k.nps.margin for k in kpis], csat=[k.csat for k in kpis],
                csat_lo=[None if c is None else c[0] for c in cis], csat_hi=[None if c is None else c[1] for c in cis])
    text = sources.touchpoint_text(engine, f, lang)
    shares = [None if text.shares is None else text.shares.get(p[3]) for p in places]
    cols["comments"] = [np.nan if s is None else s[0] for s in shares]  # int64 when every touchpoint has a value
    cols["neg_share"] = np.array([np.nan if s is None else s[1] for s in shares], dtype=float)
    cols["top_topic"] = [text.top.get(p[3], np.nan) for p in places] if text.top else None
    cols["step"] = np.arange(len(places), dtype=np.int64)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(places)))


def with_score(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``score``, ``n`` and ``low_n`` columns for the measure the map colours by (NPS or CSAT)."""
    if measure not in MEASURES:
        raise ValueError(f"the map shows NPS or CSAT, not {measure}")
    out = frame.copy()
    out["score"] = out[measure]
    out["n"] = out[f"{measure}_n"]
    out["low_n"] = out["n"] < MIN_N
    return out


def touchpoint_histogram(engine: Engine, f: Filters, touchpoint_id: int, measure: str) -> pd.DataFrame:
    """The score histogram of one touchpoint (every score of the scale, blanks left out)."""
    if measure not in SCALES:
        raise ValueError(f"unknown measure: {measure}")
    c = responses.c
    col = c[measure]
    stmt = apply_filters(select(col, func.count().label("n")), f).where(
        c.touchpoint_id == touchpoint_id, col.is_not(None)).group_by(col)
    cube = read_frame(engine, stmt)
    if cube.empty:
        cube = pd.DataFrame({measure: pd.Series(dtype=float), "n": pd.Series(dtype=int)})
    return histogram(cube, measure)
