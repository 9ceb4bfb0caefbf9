"""The responses behind a clicked bar, cell or point: paged, newest first, personal data masked.

A ``Drill`` names what was clicked (dimension values, a score range, an attribute rating range, a date
range); it is frozen so it can be a cache key. Only one page of rows is read (LIMIT/OFFSET), and an
export reads at most ``EXPORT_LIMIT`` rows. Names, phones and contact details typed into comments are
masked unless the caller passes ``unmask`` (only for users allowed to see personal data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from cem_core.analyze.cells import cell_totals
from cem_core.analyze.dims import column, dimension, key_clause
from cem_core.analyze.queries import Filters, apply_filters, channels, on_one_connection, read_frame, responses, stages
from cem_core.db.models import SCORE_VALUES, Customer, Rating
from cem_core.i18n import name_col
from cem_core.privacy.columns import frame_columns
from cem_core.privacy.masking import mask_frame

PAGE_SIZE = 20
EXPORT_LIMIT = 10_000
COLUMNS = ("occurred_at", "channel", "stage", "nps", "csat", "ces", "spend", "customer", "phone", "comment")

_customers = Customer.__table__
_ratings = Rating.__table__


@dataclass(frozen=True)
class Drill:
    """What was clicked; every part narrows the shared filters further."""

    dims: tuple[tuple[str, object], ...] = ()  # (dimension code, key) pairs
    score: tuple[str, int, int] | None = None  # (measure, lowest, highest)
    rating: tuple[int, int, int] | None = None  # (attribute id, lowest, highest score)
    dates: tuple[dt.date, dt.date] | None = None  # inclusive


def _where(stmt: Select, f: Filters, drill: Drill, unindexed_dims: bool = False) -> Select:
    """``unindexed_dims``: compare id dimensions as ``id + 0``, so SQLite does not pick their index (and sort
    every row of the cell) over walking the date-led index for a page; the covering index still has them.
    Postgres walks that index by itself (an incremental sort) and would scan the table with ``+ 0``."""
    stmt = apply_filters(stmt, f)
    for code, key in drill.dims:
        col = column(code)
        if unindexed_dims and key is not None and dimension(code).table is not None:
            stmt = stmt.where(col + 0 == key)
        else:
            stmt = stmt.where(key_clause(code, key))
    if drill.score is not None:
        measure, lo, hi = drill.score
        stmt = stmt.where(responses.c[measure].between(lo, hi))
    if drill.rating is not None:
        attr, lo, hi = drill.rating
        stmt = stmt.where(responses.c.id.in_(select(_ratings.c.response_id).where(
            _ratings.c.attribute_id == attr, _ratings.c.score.between(lo, hi))))
    if drill.dates is not None:
        stmt = stmt.where(responses.c.occurred_date.between(*drill.dates))
    return stmt


@on_one_connection
def drill_count(engine: Engine, f: Filters, drill: Drill) -> int:
    """How many responses match: summed from the month cells when they can answer (``_cell_count``),
    else counted from the rows."""
    n = _cell_count(engine, f, drill)
    if n is not None:
        return n
    with engine.connect() as conn:
        return int(conn.execute(_where(select(func.count()).select_from(responses), f, drill)).scalar_one())


def _cell_count(engine: Engine, f: Filters, drill: Drill) -> int | None:
    """The count from ``cells.cell_totals`` (whole months from the cells, edge days from the rows): the
    cells' responses, or their histogram columns for a score range; None for a rating range or anything
    the cells do not carry."""
    if drill.rating is not None:
        return None
    if drill.dates is not None:
        lo = max(f.date_from or drill.dates[0], drill.dates[0])
        hi = min(f.date_to or drill.dates[1], drill.dates[1])
        if lo > hi:
            return 0
        f = f.with_dates(lo, hi)
    columns: tuple[str, ...] = ("responses",)
    if drill.score is not None:
        measure, lo_score, hi_score = drill.score
        columns = tuple(f"{measure}_{k}" for k in SCORE_VALUES[measure] if lo_score <= k <= hi_score)
        if not columns:
            return 0
    codes = tuple(code for code, _ in drill.dims)
    if len(set(codes)) != len(codes):
        return None
    totals = cell_totals(engine, f, codes, columns)
    if totals is None:
        return None
    match = pd.Series(True, index=totals.index)
    for i, (_, key) in enumerate(drill.dims):
        col = totals[f"k{i}"]
        match &= col.isna() if key is None or (isinstance(key, float) and pd.isna(key)) else col == key
    return round(float(totals.loc[match, list(columns)].to_numpy().sum()))


def _rows(engine: Engine, f: Filters, drill: Drill, lang: str, limit: int, offset: int) -> pd.DataFrame:
    if _cell_count(engine, f, drill) == 0:  # e.g. a cell outside the filters: the index walk would read it all
        return pd.DataFrame(columns=list(COLUMNS))
    name = name_col(lang)
    c = responses.c
    stmt = select(c.occurred_at, channels.c[name].label("channel"), stages.c[name].label("stage"), c.nps, c.csat,
                  c.ces, c.spend, _customers.c.name.label("customer"), _customers.c.phone, c.comment).select_from(
        responses.outerjoin(channels, channels.c.id == c.channel_id).outerjoin(stages, stages.c.id == c.stage_id)
        .outerjoin(_customers, _customers.c.id == c.customer_id))
    # The day first: the same order, and the database walks the date-led covering index backwards and stops
    # after one page, instead of sorting every matching row (13 reference scans for a stage x channel cell).
    stmt = _where(stmt, f, drill, unindexed_dims=engine.dialect.name == "sqlite").order_by(
        c.occurred_date.desc(), c.occurred_at.desc(), c.id.desc()).limit(limit).offset(offset)
    frame = read_frame(engine, stmt)
    return frame if not frame.empty else pd.DataFrame(columns=list(COLUMNS))


#: The drill-down's personal-data columns, from the one map (``privacy.columns``).
PERSONAL = frame_columns(COLUMNS)


def mask(frame: pd.DataFrame) -> pd.DataFrame:
    """Masked copy: customer name, phone, and phones or emails typed into comments."""
    return mask_frame(frame, PERSONAL)


@on_one_connection
def drill_page(engine: Engine, f: Filters, drill: Drill, page: int = 0, unmask: bool = False, lang: str = "zh",
               page_size: int = PAGE_SIZE) -> pd.DataFrame:
    """One page (0-based) of matching responses, newest first; masked unless ``unmask``."""
    frame = _rows(engine, f, drill, lang, page_size, max(page, 0) * page_size)
    return frame if unmask else mask(frame)


@on_one_connection
def drill_export(engine: Engine, f: Filters, drill: Drill, unmask: bool = False, lang: str = "zh",
                 limit: int = EXPORT_LIMIT) -> pd.DataFrame:
    """Up to ``limit`` matching responses for a download; masked unless ``unmask``."""
    frame = _rows(engine, f, drill, lang, limit, 0)
    return frame if unmask else mask(frame)
