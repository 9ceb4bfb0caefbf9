"""Touchpoint cells (``touchpoint_cell``, migration 0029): per batch, month, channel, stage, touchpoint, region,
product and segment, the journey map's additive measures and n, sum and sum of squares of each score.

Why: the map (``response_rollup``), the emotion curve (``curve_rollup``) and peak-end's touchpoint exposure read
day rollups without region, product or segment, so any such filter read the rows (map 3.2x, curve 1.3x a full
scan of ``responses`` at 1M rows). These cells carry the three text dimensions besides the touchpoint: a filter
on one or several values of any of them, with channel, stage, department (a touchpoint filter) and whole months,
is a WHERE on the cells; the days of a partial month at either edge of the window come from the rows (a few
days, through the date or region index). The demo's 1M responses make ~79k cells: region and segment belong to
the customer and product to the journey, so only combinations that occur get a cell.

Written with the journey rollups (``journey_cells.add_batch``: imports, the demo, rebuilds after a template
remap, undo and deletion on request all call it, in their transaction); ``rollup_is_complete`` is their
coverage check, as for ``curve_rollup``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Select,
    cast,
    func,
    insert,
    literal,
    select,
    union_all,
)

from cem_core.analyze.cells import month_of, split_dates
from cem_core.analyze.metrics import sql_measures
from cem_core.analyze.queries import Filters, apply_filters, read_frame, responses
from cem_core.db.models import TOUCHPOINT_CELL_FLOATS, TOUCHPOINT_CELL_INTS, touchpoint_cell

KEYS = ("channel_id", "stage_id", "touchpoint_id", "region", "product", "segment")
COLUMNS = (*TOUCHPOINT_CELL_INTS, *TOUCHPOINT_CELL_FLOATS)


def row_sums(table=responses) -> dict[str, ColumnElement]:
    """Every cell column as an aggregate over rows of ``responses`` (or a subquery with its columns)."""
    out = {col.name: col for col in sql_measures(table)}
    c = table.c
    for m in ("csat", "nps"):
        out[f"{m}_sum"] = func.coalesce(func.sum(c[m]), 0).label(f"{m}_sum")
        out[f"{m}_sq"] = func.coalesce(func.sum(c[m] * c[m]), 0).label(f"{m}_sq")
    return out


def add_batch(conn: Connection, batch_id: int) -> None:
    """One batch's cells from its stored rows (one INSERT ... SELECT ... GROUP BY)."""
    c = responses.c
    month = month_of(c.occurred_date, conn.dialect.name)
    keys = [c[k] for k in KEYS]
    sums = row_sums()
    stmt = select(literal(batch_id).label("batch_id"), month.label("month"), *keys, *(sums[k] for k in COLUMNS)
                  ).where(c.batch_id == batch_id).group_by(month, *keys)
    conn.execute(insert(touchpoint_cell).from_select(["batch_id", "month", *KEYS, *COLUMNS], stmt))


def sums_sql(f: Filters, columns: Sequence[str], group: Sequence[str] = ("stage_id", "touchpoint_id")) -> Select:
    """Sums of ``columns`` per ``group`` under ``f``: the cells of the window's whole months plus the rows of its
    partial edge months (or the rows alone when it holds no whole month), added up in one statement. Integers
    come back as BIGINT, spend as FLOAT on both databases."""
    months, edges = split_dates(f.date_from, f.date_to)
    undated = replace(f, date_from=None, date_to=None)
    parts: list[Select] = []
    if months is not None:
        t = touchpoint_cell.c
        part = apply_filters(select(*(t[g] for g in group), *(func.sum(t[k]).label(k) for k in columns)), undated,
                             touchpoint_cell)
        if months[0] is not None:
            part = part.where(t.month >= months[0])
        if months[1] is not None:
            part = part.where(t.month <= months[1])
        parts.append(part.group_by(*(t[g] for g in group)))
    row = row_sums()
    for lo, hi in edges:
        c = responses.c
        parts.append(apply_filters(select(*(c[g] for g in group), *(row[k] for k in columns)),
                                   undated.with_dates(lo, hi)).group_by(*(c[g] for g in group)))
    u = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("parts").c
    kinds = {k: (Float if k in TOUCHPOINT_CELL_FLOATS else BigInteger) for k in columns}
    return select(*(u[g] for g in group), *(cast(func.sum(u[k]), kinds[k]).label(k) for k in columns)).group_by(
        *(u[g] for g in group))


def sums(engine: Engine, f: Filters, columns: Sequence[str], group: Sequence[str] = ("stage_id", "touchpoint_id")
         ) -> pd.DataFrame:
    """``sums_sql`` read into a frame (callers check ``rollup_is_complete`` first)."""
    return read_frame(engine, sums_sql(f, columns, group))
