"""NPS grouped by one or two dimensions: the heat matrix (default journey stage x channel) and segments.

Grouping by stage, channel, region or segment without a product or department filter reads the month
cells (``analyze.cells``); by touchpoint the per-batch day rollup; anything else groups the filtered
rows in SQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, case, func, select

from cem_core.analyze.cells import cell_totals
from cem_core.analyze.dims import attach_names, can_use_rollup, column, filtered_rows
from cem_core.analyze.metrics import DETRACTOR_MAX, PROMOTER_MIN, NpsResult
from cem_core.analyze.queries import Filters, apply_filters, on_one_connection, read_frame, responses, rollup

MIN_N = 30  # cells and segments with fewer NPS answers are greyed: their CI is too wide to compare


@on_one_connection
def nps_by(engine: Engine, f: Filters, dims: tuple[str, ...]) -> pd.DataFrame:
    """k0[, k1], n, promoters, detractors per combination of the dimensions' keys."""
    labels = [f"k{i}" for i in range(len(dims))]
    summed = cell_totals(engine, f, dims, ("nps_n", "promoters", "detractors"))
    if summed is not None:
        frame = summed.rename(columns={"nps_n": "n"})
    elif can_use_rollup(engine, f, dims):
        keys = [column(d, rollup).label(lbl) for d, lbl in zip(dims, labels, strict=True)]
        stmt = select(*keys, func.sum(rollup.c.nps_n).label("n"), func.sum(rollup.c.promoters).label("promoters"),
                      func.sum(rollup.c.detractors).label("detractors"))
        frame = read_frame(engine, apply_filters(stmt, f, rollup).group_by(*keys))
    else:
        rows = filtered_rows(f, responses.c.nps, *[column(d).label(lbl) for d, lbl in zip(dims, labels, strict=True)])
        keys = [rows.c[lbl] for lbl in labels]
        stmt = select(*keys, func.count(rows.c.nps).label("n"),
                      func.sum(case((rows.c.nps >= PROMOTER_MIN, 1), else_=0)).label("promoters"),
                      func.sum(case((rows.c.nps <= DETRACTOR_MAX, 1), else_=0)).label("detractors")).group_by(*keys)
        frame = read_frame(engine, stmt)
    if frame.empty:
        return pd.DataFrame(columns=[*labels, "n", "promoters", "detractors"])
    return with_nps(frame)


def with_nps(frame: pd.DataFrame) -> pd.DataFrame:
    """Add nps, low, high (95% CI) from n, promoters and detractors."""
    out = frame.copy()
    for col in ("n", "promoters", "detractors"):
        out[col] = out[col].fillna(0).astype(int)
    results = [NpsResult(n, p, n - p - d, d) for n, p, d in zip(out["n"], out["promoters"], out["detractors"],
                                                                 strict=True)]
    out["nps"] = [r.nps for r in results]
    out["low"] = [r.ci[0] if r.ci else None for r in results]
    out["high"] = [r.ci[1] if r.ci else None for r in results]
    return out


@on_one_connection
def heat_matrix(engine: Engine, f: Filters, rows: str = "stage", cols: str = "channel", lang: str = "zh",
                min_n: int = MIN_N) -> pd.DataFrame:
    """row_key, row, col_key, col, n, nps, low, high, low_n: one line per non-empty cell."""
    if rows == cols:
        raise ValueError("the matrix needs two different dimensions")
    grid = nps_by(engine, f, (rows, cols)).rename(columns={"k0": "row_key", "k1": "col_key"})
    grid = grid[grid["n"] > 0]
    grid = attach_names(grid, engine, rows, lang, key="row_key", name="row")
    grid = attach_names(grid, engine, cols, lang, key="col_key", name="col")
    grid["low_n"] = grid["n"] < min_n
    return grid.sort_values(["row_order", "row", "col_order", "col"]).reset_index(drop=True)
