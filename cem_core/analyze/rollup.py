"""The per-batch rollup of additive measures (``response_rollup``) that keeps the overview fast at 1M rows.

Contract for every writer of ``responses``: call ``add_batch(conn, batch_id)`` in the same transaction
after inserting a batch's rows (imports and the demo loader sum their chunks in memory instead, with
``chunk_rollup.BatchRollup``), and ``rebuild_batches(conn, ids)`` after deleting individual rows of
existing batches (deletion on request subtracts the rows instead: ``chunk_rollup.subtract_responses``
before deleting them, then ``rebuild_journeys``). Deleting a whole batch needs nothing: the cascade removes
its rollup rows. ``tests/analyze/test_rollup.py`` checks rollup == rows after each kind of write.

The same calls keep the analysis page's month cells (``analyze.cells``), key-driver moments
(``analyze.moments``), the journeys' figures and the emotion curve's sums (``analyze.journey_rollup``), peak-end's
cells (``analyze.journey_cells``), the touchpoint cells by region, product and segment
(``analyze.touchpoint_cells``) and
the coverage record
(``rollup_coverage``), so no writer knows about them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, insert, literal, select

from cem_core.analyze import cells, journey_cells, moments
from cem_core.analyze.metrics import MEASURE_COLUMNS, sql_measures
from cem_core.db.models import (
    Response,
    ResponseRollup,
    analysis_rollup,
    driver_rollup,
    journey_cell,
    journey_region_cell,
    rating_rollup,
    rollup_coverage,
    touchpoint_cell,
)
from cem_core.db.models import curve_rollup as curves
from cem_core.db.models import journey_rollup as journeys

_rows = Response.__table__
_rollup = ResponseRollup.__table__
KEYS = ("occurred_date", "channel_id", "stage_id", "touchpoint_id")


def add_day_rollup(conn: Connection, batch_id: int) -> None:
    """Aggregate one batch's responses into ``response_rollup`` (one INSERT ... SELECT ... GROUP BY)."""
    keys = [_rows.c[k] for k in KEYS]
    stmt = select(literal(batch_id).label("batch_id"), *keys, *sql_measures(_rows)).where(
        _rows.c.batch_id == batch_id).group_by(*keys)
    conn.execute(insert(_rollup).from_select(["batch_id", *KEYS, *MEASURE_COLUMNS], stmt))


def add_batch(conn: Connection, batch_id: int) -> None:
    """Aggregate one batch's responses into every rollup and record what they cover."""
    add_day_rollup(conn, batch_id)
    cells.add_batch(conn, batch_id)
    journey_cells.add_batch(conn, batch_id)
    key = moments.add_batch(conn, batch_id)
    count = conn.execute(select(func.count()).where(_rows.c.batch_id == batch_id)).scalar_one()
    conn.execute(insert(rollup_coverage).values(batch_id=batch_id, responses=count, attribute_set=key))


def _delete(conn: Connection, batch_id: int | None = None) -> None:
    for table in (_rollup, analysis_rollup, rating_rollup, driver_rollup, journeys, journey_cell, journey_region_cell,
                  curves, touchpoint_cell, rollup_coverage):
        stmt = table.delete()
        conn.execute(stmt if batch_id is None else stmt.where(table.c.batch_id == batch_id))


def rebuild_batches(conn: Connection, batch_ids: Iterable[int]) -> None:
    """Recompute the rollup of batches whose rows changed individually."""
    for batch_id in sorted(set(batch_ids)):
        _delete(conn, batch_id)
        add_batch(conn, batch_id)


def rebuild_journeys(conn: Connection, batch_ids: Iterable[int]) -> None:
    """Recompute the journey rollups of batches whose rows were deleted individually: they keep maxima and
    minima, which cannot be subtracted (the additive rollups are, by ``chunk_rollup.subtract_responses``)."""
    for batch_id in sorted(set(batch_ids)):
        for table in (journeys, curves, touchpoint_cell):  # journey_cell: add_cells replaces the batch's cells
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        journey_cells.add_batch(conn, batch_id)


def rebuild_all(conn: Connection) -> None:
    """Recompute the whole rollup (``python -m cem_core rollup``; after manual edits of the rows)."""
    _delete(conn)
    for (batch_id,) in conn.execute(select(_rows.c.batch_id).distinct()).all():
        add_batch(conn, batch_id)
