"""Shared filters and the SQL that every page's aggregation starts from.

Pages never load rows: they ask for aggregates grouped by a few keys, computed by the database. The
``Filters`` value is frozen and hashable so it can be part of a cache key as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Concatenate, ParamSpec, TypeVar

import pandas as pd
from sqlalchemy import Connection, Engine, Select, func, select

from cem_core.analyze.metrics import MEASURE_COLUMNS, sql_measures
from cem_core.db.models import (
    AppSetting,
    Base,
    Channel,
    Department,
    ImportBatch,
    JourneyStage,
    Response,
    ResponseRollup,
    Touchpoint,
    response_counts,
    rollup_coverage,
)

responses = Response.__table__
rollup = ResponseRollup.__table__
channels = Channel.__table__
stages = JourneyStage.__table__
touchpoints = Touchpoint.__table__

#: Free-text dimensions stored on responses, filterable and groupable.
TEXT_DIMENSIONS = ("region", "product", "segment")


@dataclass(frozen=True)
class Filters:
    """The sidebar's selection; empty tuples mean 'all'. Dates are inclusive."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channels: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    #: Department scope (codes) of a department lead: only touchpoints those departments own.
    departments: tuple[str, ...] = field(default=())

    def with_dates(self, date_from: dt.date | None, date_to: dt.date | None) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)


def apply_filters(stmt: Select, f: Filters, table=responses) -> Select:
    """Add the WHERE clauses of ``f`` to a statement over ``responses`` (or an alias of it)."""
    c = table.c
    if f.date_from is not None:
        stmt = stmt.where(c.occurred_date >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(c.occurred_date <= f.date_to)
    if f.channels:
        stmt = stmt.where(c.channel_id.in_(select(channels.c.id).where(channels.c.code.in_(f.channels))))
    if f.stages:
        stmt = stmt.where(c.stage_id.in_(select(stages.c.id).where(stages.c.code.in_(f.stages))))
    if f.regions:
        stmt = stmt.where(c.region.in_(f.regions))
    if f.products:
        stmt = stmt.where(c.product.in_(f.products))
    if f.segments:
        stmt = stmt.where(c.segment.in_(f.segments))
    if f.departments:
        dept = Department.__table__
        owned = select(touchpoints.c.id).join(dept, dept.c.id == touchpoints.c.department_id).where(
            dept.c.code.in_(f.departments))
        stmt = stmt.where(c.touchpoint_id.in_(owned))
    return stmt


class OneConnection:
    """An engine stand-in whose ``connect()`` hands out one open connection (and leaves it open), so every
    query of one page-level call runs on it: on Postgres each checkout costs round trips (the pool's ping,
    BEGIN, ROLLBACK) and a page's 4-6 checkouts cost more than its queries on the small rollups."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.dialect = conn, conn.dialect
        #: ``rollup_is_complete``'s answer once asked: a page call's several readers share one check.
        self.complete: bool | None = None

    def connect(self) -> AbstractContextManager[Connection]:
        return nullcontext(self.conn)


P = ParamSpec("P")
R = TypeVar("R")


def on_one_connection(fn: Callable[Concatenate[Engine, P], R]) -> Callable[Concatenate[Engine, P], R]:
    """Run ``fn(engine, ...)`` and every query it makes on one connection (``OneConnection``)."""

    @functools.wraps(fn)
    def run(engine: Engine, *args: P.args, **kwargs: P.kwargs) -> R:
        if isinstance(engine, OneConnection):
            return fn(engine, *args, **kwargs)
        with engine.connect() as conn:
            return fn(OneConnection(conn), *args, **kwargs)  # type: ignore[arg-type]

    return run


def read_frame(engine: Engine, stmt: Select) -> pd.DataFrame:
    """Run an aggregate query and return its (small) result as a DataFrame."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        # Plain tuples: building a frame from Row objects costs a hasattr() per row.
        return pd.DataFrame.from_records([tuple(r) for r in result.fetchall()], columns=list(result.keys()))


def _bound_subqueries() -> list:
    """min and max feedback date as two scalar subqueries, because SQLite answers a lone min() or max()
    from the index but scans the table for both in one SELECT."""
    return [select(func.min(responses.c.occurred_date)).scalar_subquery(),
            select(func.max(responses.c.occurred_date)).scalar_subquery()]


def date_bounds(engine: Engine) -> tuple[dt.date | None, dt.date | None]:
    """First and last feedback date (one round trip; each subquery reads one end of the index)."""
    with engine.connect() as conn:
        lo, hi = conn.execute(select(*_bound_subqueries())).one()
    return _as_date(lo), _as_date(hi)


def date_bounds_and_check(engine: Engine) -> tuple[dt.date | None, dt.date | None, bool]:
    """``date_bounds`` and ``rollup_is_complete`` in one statement: the overview needs both first, and on
    Postgres each round trip of a page call counts against queries that take a few milliseconds."""
    with engine.connect() as conn:
        lo, hi, rows, summed = conn.execute(select(*_bound_subqueries(), *_check_subqueries(engine))).one()
    return _as_date(lo), _as_date(hi), _remember(engine, int(rows) == int(summed))


def _remember(engine: Engine, complete: bool) -> bool:
    if isinstance(engine, OneConnection):
        engine.complete = complete
    return complete


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    return dt.date.fromisoformat(str(value)[:10])


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length that ends the day before ``date_from``."""
    days = (date_to - date_from).days + 1
    return date_from - dt.timedelta(days=days), date_from - dt.timedelta(days=1)


def _check_subqueries(engine: Engine) -> list:
    """The rows stored and the rows the rollups summarised, as two scalar subqueries."""
    rows = (select(func.coalesce(func.sum(response_counts.c.responses), 0)) if engine.dialect.name == "postgresql"
            else select(func.count()).select_from(responses))
    summed = select(func.coalesce(func.sum(rollup_coverage.c.responses), 0))
    return [rows.scalar_subquery(), summed.scalar_subquery()]


def rollup_is_complete(engine: Engine) -> bool:
    """Whether the rollups cover exactly the stored rows: the rows each batch's rollups summarised
    (``rollup_coverage``) against the rows stored.

    A safety net for the rollup contract (``cem_core.analyze.rollup``): if a writer ever forgets it, pages
    fall back to scanning the rows and stay correct, only slower. Postgres reads the stored rows from
    ``response_counts``, kept by triggers on ``responses`` (migration 0023), as its ``count(*)`` is a full
    scan; SQLite's ``count(*)`` reads the smallest index (~2 ms at 300k rows). Asked once per page-level
    call (``on_one_connection``): its readers share the answer.
    """
    if isinstance(engine, OneConnection) and engine.complete is not None:
        return engine.complete
    with engine.connect() as conn:
        rows, summed = conn.execute(select(*_check_subqueries(engine))).one()
    return _remember(engine, int(rows) == int(summed))


def measures_cube(engine: Engine, f: Filters) -> pd.DataFrame:
    """Additive measures grouped by day, channel and stage for the filtered rows.

    The result has at most days x channels x stages rows, from which KPIs for any sub-window, trends
    and per-stage or per-channel figures are re-summed exactly (see ``metrics.sql_measures``). It is
    read from ``response_rollup`` (about 40x fewer rows) unless a free-text filter needs the rows, then
    from one scan of ``responses``.
    """
    needs_rows = bool(f.regions or f.products or f.segments) or not rollup_is_complete(engine)
    table = responses if needs_rows else rollup
    c = table.c
    measures = (sql_measures(responses) if table is responses
                else [func.sum(c[m]).label(m) for m in MEASURE_COLUMNS])
    stmt = select(c.occurred_date.label("day"), c.channel_id, c.stage_id, *measures)
    stmt = apply_filters(stmt, f, table).group_by(c.occurred_date, c.channel_id, c.stage_id)
    cube = read_frame(engine, stmt)
    if not cube.empty:
        cube["day"] = pd.to_datetime(cube["day"])
    return cube


def dimension_table(engine: Engine, table_name: str, lang: str) -> pd.DataFrame:
    """id, code and localised name of a dimension table (channels, journey_stages, departments ...)."""
    table = Base.metadata.tables[table_name]
    name = table.c.name_en if lang == "en" else table.c.name_zh
    cols = [table.c.id, table.c.code, name.label("name")]
    order = table.c.position if "position" in table.c else table.c.id
    return read_frame(engine, select(*cols).order_by(order))


def text_dimension_values(engine: Engine, column: str, departments: tuple[str, ...] = ()) -> list[str]:
    """Distinct non-empty values of region, product or segment (an index scan), within a department
    lead's scope when ``departments`` is given: a filter list must not reveal values from other departments."""
    if column not in TEXT_DIMENSIONS:
        raise ValueError(f"not a text dimension: {column}")
    col = responses.c[column]
    stmt = apply_filters(select(col).where(col.is_not(None)), Filters(departments=departments))
    with engine.connect() as conn:
        return [v for (v,) in conn.execute(stmt.distinct().order_by(col)) if v]


def data_version(engine: Engine) -> str:
    """A token read from the database that changes whenever stored feedback or a setting changes, so
    every app server's cache (``ui.cache`` keys by it) sees another server's writes at its next rerun.

    Imports, undo and demo loads and removal move the batches (count, newest id, rows, finish time,
    statuses); deleting single rows (deletion on request) moves the rollup's totals, which writers
    rebuild in the same transaction; a settings change moves the digest of ``app_settings`` (a few
    rows). ``tests/test_data_version.py`` checks each writer."""
    b = ImportBatch.__table__.c
    batches = select(func.count(), func.coalesce(func.max(b.id), 0), func.coalesce(func.sum(b.rows_imported), 0),
                     func.max(b.finished_at), func.sum(func.length(b.status)))
    totals = select(func.coalesce(func.sum(rollup.c.responses), 0), func.coalesce(func.sum(rollup.c.nps_n), 0),
                    func.coalesce(func.sum(rollup.c.csat_n), 0))
    setting = AppSetting.__table__.c
    with engine.connect() as conn:
        digest = hashlib.sha1(repr(conn.execute(select(setting.key, setting.value).order_by(setting.key)).all())
                              .encode()).hexdigest()[:12]
        return ":".join(str(v) for v in (*conn.execute(batches).one(), *conn.execute(totals).one(), digest))
