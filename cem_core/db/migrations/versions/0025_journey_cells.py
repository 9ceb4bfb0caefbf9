"""Peak-end's cells: ``journey_cell``, the journeys' additive moments per batch, measure and month pair
(issue 14, ``cem_core.analyze.journey_cells``), so peak-end over whole months reads a few thousand cells
instead of every journey. Filled from ``journey_rollup`` (one pass over its pieces per measure, no read of
``responses``); existing data is kept. A database created from scratch has it already: 0023 rebuilds every
rollup with the writers' code, which writes the head schema, so 0023 creates this table first.

Also indexes on ``journey_rollup``'s first and last date: peak-end reads the pieces of a window's partial
edge months, and the pieces the window cuts, through them.

Revision ID: 0025
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.analyze.journey_cells import add_cells
from cem_core.db.models import journey_cell, journey_region_cell, journey_rollup

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    have = {ix["name"] for ix in sa.inspect(bind).get_indexes("journey_rollup")}
    for ix in journey_rollup.indexes:  # 0020 creates the head table: a new database has them already
        if ix.name in ("ix_journey_rollup_first_date", "ix_journey_rollup_last_date") and ix.name not in have:
            ix.create(bind)
    if sa.inspect(bind).has_table("journey_cell"):
        return  # a new database: 0023's rebuild of every rollup (head schema) created and filled it
    journey_cell.create(bind)
    journey_region_cell.create(bind, checkfirst=True)  # 0039's: add_cells (head code) fills it too
    add_cells(bind, list(bind.execute(sa.select(journey_rollup.c.batch_id).distinct()).scalars()))


def downgrade() -> None:
    journey_cell.drop(op.get_bind())
    op.drop_index("ix_journey_rollup_last_date", "journey_rollup")
    op.drop_index("ix_journey_rollup_first_date", "journey_rollup")
