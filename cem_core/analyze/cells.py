"""Month cells: the additive rollup the analysis page reads instead of the rows (``analysis_rollup``).

A cell is one batch's responses in one month, channel, stage, region and segment (``db.models.CELL_KEYS``).
It holds counts and the NPS, CSAT and CES histograms as columns (``nps_0`` ... ``ces_7``) plus the spend
per NPS score, so one row serves every histogram, the spend analysis and NPS by any of its dimensions.
Measured on the 1M-row demo: 10.2k cells (98 rows each); with touchpoint and product as keys too it
would be 78.5k, too close to the rows to pay. Filters by product or department scope, and groupings by
touchpoint or product, read the rows as before.

A date range is answered as its whole months from the cells plus the partial months at either edge
from the rows (the ``occurred_date`` indexes keep that to a short range read). Writers keep the cells
through ``analyze.rollup``; ``complete`` is the count check of ``queries.rollup_is_complete``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Date, Engine, and_, case, cast, func, insert, literal, select

from cem_core.analyze.dims import column, filtered_rows
from cem_core.analyze.metrics import DETRACTOR_MAX, PROMOTER_MIN
from cem_core.analyze.queries import Filters, apply_filters, read_frame, responses, rollup_is_complete
from cem_core.db.models import (
    CELL_COUNTS,
    CELL_KEYS,
    HISTOGRAM_COLUMNS,
    RATING_SCORES,
    SCORE_VALUES,
    SPEND_COLUMNS,
    Rating,
    analysis_rollup,
    rating_rollup,
)

CELL_COLUMNS = (*CELL_COUNTS, *HISTOGRAM_COLUMNS, *SPEND_COLUMNS)
RATING_COLUMNS = tuple(f"r{k}" for k in RATING_SCORES)
_ratings = Rating.__table__
#: Dimensions a cell carries: grouping or filtering only by these (and dates) can read the cells.
CELL_DIMENSIONS = frozenset({"stage", "channel", "region", "segment"})


def month_of(day: ColumnElement, dialect: str) -> ColumnElement:
    """First day of ``day``'s month, in SQL."""
    if dialect == "sqlite":
        return func.date(day, "start of month")
    return cast(func.date_trunc("month", day), Date)


def cell_measures(c) -> dict[str, ColumnElement]:
    """Every cell column as an aggregate over rows with columns nps, csat, ces and spend."""

    def count_if(cond: ColumnElement) -> ColumnElement:
        return func.sum(case((cond, 1), else_=0))

    out: dict[str, ColumnElement] = {
        "responses": func.count(), "nps_n": func.count(c.nps),
        "promoters": count_if(c.nps >= PROMOTER_MIN), "detractors": count_if(c.nps <= DETRACTOR_MAX)}
    for measure, scores in SCORE_VALUES.items():
        for k in scores:
            out[f"{measure}_{k}"] = count_if(c[measure] == k)
    for k in SCORE_VALUES["nps"]:
        out[f"nps_spend_n_{k}"] = count_if(and_(c.nps == k, c.spend.is_not(None)))
    out["spend"] = func.coalesce(func.sum(c.spend), 0.0)
    for k in SCORE_VALUES["nps"]:
        out[f"nps_spend_{k}"] = func.coalesce(func.sum(case((c.nps == k, c.spend))), 0.0)
    return {name: out[name].label(name) for name in CELL_COLUMNS}


def _keys(conn: Connection) -> list[ColumnElement]:
    c = responses.c
    return [month_of(c.occurred_date, conn.dialect.name).label("month"), c.channel_id, c.stage_id, c.region,
            c.segment]


def add_batch(conn: Connection, batch_id: int) -> None:
    """Summarise one batch's rows into its cells and its ratings into the rating cells."""
    add_cells(conn, batch_id)
    add_rating_cells(conn, batch_id)


def add_cells(conn: Connection, batch_id: int) -> None:
    """One batch's rows into its month cells (one INSERT ... SELECT ... GROUP BY)."""
    c, keys = responses.c, _keys(conn)
    stmt = select(literal(batch_id).label("batch_id"), *keys, *cell_measures(c).values()).where(
        c.batch_id == batch_id).group_by(*keys)
    conn.execute(insert(analysis_rollup).from_select(["batch_id", *CELL_KEYS, *CELL_COLUMNS], stmt))


def add_rating_cells(conn: Connection, batch_id: int) -> None:
    """One batch's ratings into its rating cells (one INSERT ... SELECT ... GROUP BY)."""
    c, keys = responses.c, _keys(conn)
    r = _ratings.c
    stmt = select(literal(batch_id).label("batch_id"), *keys, r.attribute_id, *[
        func.sum(case((r.score == k, 1), else_=0)).label(f"r{k}") for k in RATING_SCORES]).select_from(
        _ratings.join(responses, c.id == r.response_id)).where(c.batch_id == batch_id).group_by(*keys, r.attribute_id)
    conn.execute(insert(rating_rollup).from_select(
        ["batch_id", *CELL_KEYS, "attribute_id", *RATING_COLUMNS], stmt))


#: The completeness check every rollup reader shares (one row per batch on either side on Postgres).
complete = rollup_is_complete


def answerable(engine: Engine, f: Filters, dims: tuple[str, ...]) -> bool:
    """Whether the cells answer a grouping by ``dims`` under ``f``: only cell dimensions, and complete."""
    if not set(dims) <= CELL_DIMENSIONS or f.products or f.departments:
        return False
    return complete(engine)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_dates(lo: dt.date | None, hi: dt.date | None
                ) -> tuple[tuple[dt.date | None, dt.date | None] | None, list[tuple[dt.date, dt.date]]]:
    """Whole months (first and last month start; None = open) inside [lo, hi], and the edge day ranges.

    Returns (None, [(lo, hi)]) when the range holds no whole month.
    """
    first = None if lo is None else (lo if lo.day == 1 else next_month(lo))
    last = None
    if hi is not None:
        last = month_start(hi) if next_month(hi) - dt.timedelta(days=1) == hi else \
            month_start(month_start(hi) - dt.timedelta(days=1))
    if first is not None and last is not None and first > last:
        return None, [(lo, hi)]  # type: ignore[list-item]
    edges = []
    if lo is not None and first is not None and lo < first:
        edges.append((lo, first - dt.timedelta(days=1)))
    if hi is not None and last is not None and hi >= next_month(last):
        edges.append((next_month(last), hi))
    return (first, last), edges


def cell_totals(engine: Engine, f: Filters, dims: tuple[str, ...], columns: tuple[str, ...]) -> pd.DataFrame | None:
    """Sums of cell ``columns`` per combination of ``dims`` (keys k0, k1 ...), or None when the cells
    cannot answer (then the caller reads the rows as before).

    Whole months come from the cells, the edge days from the rows with the same aggregates, and the
    two small results are added up.
    """
    if not answerable(engine, f, dims):
        return None
    labels = [f"k{i}" for i in range(len(dims))]
    months, edges = split_dates(f.date_from, f.date_to)
    undated = replace(f, date_from=None, date_to=None)
    frames = []
    if months is not None:
        t = analysis_rollup
        keys = [column(d, t).label(lbl) for d, lbl in zip(dims, labels, strict=True)]
        stmt = apply_filters(select(*keys, *[func.sum(t.c[m]).label(m) for m in columns]), undated, t)
        if months[0] is not None:
            stmt = stmt.where(t.c.month >= months[0])
        if months[1] is not None:
            stmt = stmt.where(t.c.month <= months[1])
        frames.append(read_frame(engine, stmt.group_by(*keys) if keys else stmt))
    for lo, hi in edges:
        c = responses.c
        rows = filtered_rows(undated.with_dates(lo, hi), *[column(d).label(lbl) for d, lbl in zip(dims, labels,
                                                                                                strict=True)],
                             c.nps, c.csat, c.ces, c.spend)
        measures = cell_measures(rows.c)
        keys = [rows.c[lbl] for lbl in labels]
        stmt = select(*keys, *[measures[m] for m in columns]).select_from(rows)  # count() alone names no table
        frames.append(read_frame(engine, stmt.group_by(*keys) if keys else stmt))
    frames = [fr for fr in frames if not fr.empty] or [pd.DataFrame(columns=[*labels, *columns])]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame[list(columns)] = frame[list(columns)].astype(float).fillna(0.0)
    if len(frames) == 1 and (labels or len(frame) == 1):
        return frame  # one query's result is already grouped
    if labels:
        frame = frame.groupby(labels, dropna=False, as_index=False)[list(columns)].sum()
    else:
        frame = frame[list(columns)].sum().to_frame().T
    return frame.reset_index(drop=True)


def rating_totals(engine: Engine, f: Filters) -> pd.DataFrame | None:
    """attribute_id, score, n: attribute ratings under ``f`` counted from the rating cells (whole months)
    and the rows (edge days); None when the cells cannot answer ``f``."""
    if not answerable(engine, f, ()):
        return None
    months, edges = split_dates(f.date_from, f.date_to)
    undated = replace(f, date_from=None, date_to=None)
    frames = []
    if months is not None:
        t = rating_rollup
        stmt = apply_filters(select(t.c.attribute_id, *[func.sum(t.c[r]).label(r) for r in RATING_COLUMNS]),
                             undated, t)
        if months[0] is not None:
            stmt = stmt.where(t.c.month >= months[0])
        if months[1] is not None:
            stmt = stmt.where(t.c.month <= months[1])
        wide = read_frame(engine, stmt.group_by(t.c.attribute_id))
        frames.append(wide.melt(id_vars=["attribute_id"], var_name="score", value_name="n").assign(
            score=lambda x: x["score"].str[1:].astype(int)))
    r = _ratings.c
    for lo, hi in edges:  # a few days: read them by date, then their ratings by key (not the whole ratings index)
        stmt = select(r.attribute_id, r.score, func.count().label("n")).select_from(
            responses.join(_ratings, r.response_id == responses.c.id))
        frames.append(read_frame(engine, apply_filters(stmt, undated.with_dates(lo, hi)).group_by(
            r.attribute_id, r.score)))
    frames = [fr for fr in frames if not fr.empty]
    if not frames:
        return pd.DataFrame(columns=["attribute_id", "score", "n"])
    out = pd.concat(frames, ignore_index=True).astype({"attribute_id": int, "score": int, "n": int})
    out = out.groupby(["attribute_id", "score"], as_index=False)["n"].sum()
    return out[out["n"] > 0].reset_index(drop=True)
