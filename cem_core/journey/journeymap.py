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
from sqlalchemy import Engine, func, select

from cem_core.analyze import touchpoint_cells
from cem_core.analyze.dims import can_use_rollup, filtered_rows
from cem_core.analyze.distributions import SCALES, histogram
from cem_core.analyze.metrics import MEASURE_COLUMNS, Kpis, sql_measures
from cem_core.analyze.queries import Filters, apply_filters, read_frame, responses, rollup, rollup_is_complete
from cem_core.analyze.stats import proportion_ci
from cem_core.journey import sources
from cem_core.journey.templates import layout

MIN_N = 30
MEASURES = ("nps", "csat")


def touchpoint_measures(engine: Engine, f: Filters) -> pd.DataFrame:
    """Additive measures per (stage_id, touchpoint_id) under the filters."""
    if can_use_rollup(engine, f, ("stage", "touchpoint")):
        c = rollup.c
        stmt = apply_filters(select(c.stage_id, c.touchpoint_id, *[func.sum(c[m]).label(m) for m in MEASURE_COLUMNS]),
                             f, rollup).group_by(c.stage_id, c.touchpoint_id)
    elif rollup_is_complete(engine):  # a region, product or segment filter: the touchpoint cells
        return touchpoint_cells.sums(engine, f, MEASURE_COLUMNS)
    else:
        rows = filtered_rows(f, responses.c.stage_id, responses.c.touchpoint_id, responses.c.nps, responses.c.csat,
                             responses.c.ces, responses.c.spend)
        stmt = select(rows.c.stage_id, rows.c.touchpoint_id, *sql_measures(rows)).group_by(
            rows.c.stage_id, rows.c.touchpoint_id)
    return read_frame(engine, stmt)


def touchpoint_map(engine: Engine, f: Filters, lang: str = "zh") -> pd.DataFrame:
    """One row per active touchpoint in journey order (see the module docstring for the columns)."""
    lay = layout(engine, lang)
    measures = touchpoint_measures(engine, f)
    base = lay[["stage_id", "stage", "stage_order", "touchpoint_id", "touchpoint", "tp_order", "department"]].copy()
    if not measures.empty:
        measures["touchpoint_id"] = measures["touchpoint_id"].astype("Int64")
        measures["stage_id"] = measures["stage_id"].astype("Int64")
        loose = measures[measures["touchpoint_id"].isna() & measures["stage_id"].isin(base["stage_id"])]
        if not loose.empty:  # responses with a stage but no touchpoint
            stage_rows = base.drop_duplicates("stage_id").set_index("stage_id")
            extra = pd.DataFrame({"stage_id": loose["stage_id"].to_numpy(), "touchpoint_id": pd.NA,
                                  "touchpoint": None, "tp_order": 999, "department": None})
            extra["stage"] = extra["stage_id"].map(stage_rows["stage"])
            extra["stage_order"] = extra["stage_id"].map(stage_rows["stage_order"])
            base = pd.concat([base[base["touchpoint_id"].notna()], extra], ignore_index=True)
        base["stage_id"] = base["stage_id"].astype("Int64")
        base["touchpoint_id"] = base["touchpoint_id"].astype("Int64")
        out = base.merge(measures, on=["stage_id", "touchpoint_id"], how="left")
    else:
        out = base[base["touchpoint_id"].notna()].assign(**{m: 0 for m in MEASURE_COLUMNS})
    out[list(MEASURE_COLUMNS)] = out[list(MEASURE_COLUMNS)].fillna(0).astype(float)  # Postgres sums come as Decimal
    kpis = [Kpis.from_measures(row) for row in out[list(MEASURE_COLUMNS)].to_dict("records")]  # not iterrows
    out["nps"] = [k.nps.nps for k in kpis]
    out["nps_margin"] = [k.nps.margin for k in kpis]
    out["csat"] = [k.csat for k in kpis]
    cis = [proportion_ci(int(k_top), int(k_n)) for k_top, k_n in zip(out["csat_top2"], out["csat_n"], strict=True)]
    out["csat_lo"] = [None if c is None else c[0] for c in cis]
    out["csat_hi"] = [None if c is None else c[1] for c in cis]
    out = out.astype({"responses": int, "nps_n": int, "csat_n": int})
    neg, top = sources.touchpoint_text(engine, f, lang)
    if neg is not None:
        out = out.merge(neg[["touchpoint_id", "comments", "neg_share"]].astype({"touchpoint_id": "Int64"}),
                        on="touchpoint_id", how="left")
    else:
        out["comments"], out["neg_share"] = np.nan, np.nan
    if top is not None and not top.empty:
        first = top.sort_values("negative", ascending=False).drop_duplicates("touchpoint_id")
        out = out.merge(first[["touchpoint_id", "topic"]].astype({"touchpoint_id": "Int64"}), on="touchpoint_id",
                        how="left").rename(columns={"topic": "top_topic"})
    else:
        out["top_topic"] = None
    out = out.sort_values(["stage_order", "tp_order"]).reset_index(drop=True)
    out["step"] = range(len(out))
    return out


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
