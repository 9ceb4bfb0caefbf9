"""Histograms of NPS (0-10), CSAT (1-5) and CES (1-7), optionally split by a dimension.

One GROUP BY over (nps, csat, ces) gives all three histograms and the spend per NPS score (``spend``)
at once: a few hundred groups however many rows, read from the covering overview index. A split
histogram groups by (split key, one measure), read from a covering index too (migration 0004).
The pure functions below slice that small cube; blanks of a measure are left out of its histogram.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cem_core.analyze.cells import cell_totals
from cem_core.analyze.dims import attach_names, column, filtered_rows
from cem_core.analyze.metrics import CES_AGREE_MIN, CSAT_TOP2_MIN, DETRACTOR_MAX, PROMOTER_MIN
from cem_core.analyze.queries import Filters, on_one_connection, read_frame, responses
from cem_core.db.models import SCORE_VALUES

#: Scale of each measure: (lowest, highest) score.
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


@on_one_connection
def score_cube(engine: Engine, f: Filters, split: str | None = None, measure: str | None = None) -> pd.DataFrame:
    """Counts and spend per combination of NPS, CSAT and CES scores; with ``split``, counts per
    (split key, ``measure`` score) only: half the sort work, as one split histogram shows one measure.

    Read from the month cells when they can answer (``cells.cell_totals``): then the unsplit cube holds
    each measure's histogram separately (a row per score of one measure, the others blank), which gives
    the same histograms and spend figures as the joint cube read from the rows.
    """
    if split is not None and measure not in SCALES:
        raise ValueError(f"a split histogram needs a measure, got {measure!r}")
    from_cells = _from_cells(engine, f, split, measure)
    if from_cells is not None:
        return from_cells
    c = responses.c
    if split is not None:
        rows = filtered_rows(f, column(split).label("key"), c[measure])
        keys = [rows.c.key, rows.c[measure]]
        stmt = select(*keys, func.count().label("n")).group_by(*keys)
        columns = ["key", measure, "n"]
    else:
        rows = filtered_rows(f, c.nps, c.csat, c.ces, c.spend)
        keys = [rows.c.nps, rows.c.csat, rows.c.ces]
        stmt = select(*keys, func.count().label("n"), func.count(rows.c.spend).label("spend_n"),
                      func.coalesce(func.sum(rows.c.spend), 0.0).label("spend")).group_by(*keys)
        columns = ["nps", "csat", "ces", "n", "spend_n", "spend"]
    cube = read_frame(engine, stmt)
    return cube if not cube.empty else pd.DataFrame(columns=columns)


def _from_cells(engine: Engine, f: Filters, split: str | None, measure: str | None) -> pd.DataFrame | None:
    measures = (measure,) if split else tuple(SCALES)
    columns = tuple(f"{m}_{k}" for m in measures for k in SCORE_VALUES[m])
    if not split:
        columns += tuple(f"nps_{part}_{k}" for part in ("spend_n", "spend") for k in SCORE_VALUES["nps"])
    totals = cell_totals(engine, f, (split,) if split else (), columns)
    if totals is None:
        return None
    if split:
        cube = totals.melt(id_vars=["k0"], value_vars=list(columns[:len(SCORE_VALUES[measure])]), var_name="col",
                           value_name="n").rename(columns={"k0": "key"})
        cube[measure] = cube["col"].str.rsplit("_", n=1).str[1].astype(int)
        cube = cube[cube["n"] > 0].astype({"n": int})
    else:  # spend per NPS score; the CSAT and CES rows carry none (and have no NPS, so spend skips them)
        t = totals.iloc[0]
        cube = pd.DataFrame([{m: k, "n": int(t[f"{m}_{k}"]),
                              "spend_n": int(t[f"nps_spend_n_{k}"]) if m == "nps" else 0,
                              "spend": float(t[f"nps_spend_{k}"]) if m == "nps" else 0.0}
                             for m in measures for k in SCORE_VALUES[m] if t[f"{m}_{k}"] > 0])
    columns_out = ["key", measure, "n"] if split else ["nps", "csat", "ces", "n", "spend_n", "spend"]
    return cube.reindex(columns=columns_out).reset_index(drop=True) if not cube.empty \
        else pd.DataFrame(columns=columns_out)


def score_group(measure: str, score: int) -> str:
    """positive / neutral / negative band of a score: promoter-passive-detractor for NPS, top-2-box for
    CSAT, agree (5-7) / neutral (4) / disagree for CES."""
    if measure == "nps":
        return "positive" if score >= PROMOTER_MIN else "negative" if score <= DETRACTOR_MAX else "neutral"
    if measure == "csat":
        return "positive" if score >= CSAT_TOP2_MIN else "neutral" if score == CSAT_TOP2_MIN - 1 else "negative"
    if measure == "ces":
        return "positive" if score >= CES_AGREE_MIN else "neutral" if score == CES_AGREE_MIN - 1 else "negative"
    raise ValueError(f"unknown measure: {measure}")


def histogram(cube: pd.DataFrame, measure: str, engine: Engine | None = None, split: str | None = None,
              lang: str = "zh") -> pd.DataFrame:
    """score, n, share (% of the answered rows, within each split value), band; plus key and name when split.

    Every score of the scale appears (n = 0 where nobody gave it), so bars line up across splits.
    """
    lo, hi = SCALES[measure]
    keys = ["key"] if split else []
    answered = cube.dropna(subset=[measure]).astype({measure: int, "n": int})
    counts = answered.groupby([*keys, measure], dropna=False)["n"].sum().reset_index()
    scale = pd.DataFrame({measure: range(lo, hi + 1)})
    grid = counts[keys].drop_duplicates().merge(scale, how="cross") if split else scale
    out = grid.merge(counts, on=[*keys, measure], how="left").fillna({"n": 0}).rename(columns={measure: "score"})
    out["n"] = out["n"].astype(int)
    totals = out.groupby(keys, dropna=False)["n"].transform("sum") if split else out["n"].sum()
    out["share"] = (100.0 * out["n"] / totals).fillna(0.0)
    out["band"] = [score_group(measure, s) for s in out["score"]]
    if split and engine is not None:
        out = attach_names(out, engine, split, lang).sort_values(["name_order", "name", "score"])
    return out.reset_index(drop=True)


def histogram_summary(hist: pd.DataFrame) -> dict[str, float | int | None]:
    """n and the share in each band (percent) of an unsplit histogram."""
    n = int(hist["n"].sum())
    share = {band: (100.0 * hist.loc[hist["band"] == band, "n"].sum() / n if n else None)
             for band in ("positive", "neutral", "negative")}
    return {"n": n, **share}
