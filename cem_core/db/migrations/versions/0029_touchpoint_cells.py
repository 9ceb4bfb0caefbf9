"""Journeys at scale: ``touchpoint_cell``, the journey map's measures and each score's n, sum and squares per
batch, month, channel, stage, touchpoint, region, product and segment (``cem_core.analyze.touchpoint_cells``),
so the map, the emotion curve and peak-end's touchpoint exposure under a region, product or segment filter sum
cells instead of reading ``responses``. Filled from the stored rows, one grouped pass per batch with the
writers' own code; existing data is kept. A database created from scratch has it already: 0023 rebuilds every
rollup with the writers' code (head schema) and creates this table first.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.analyze.touchpoint_cells import add_batch
from cem_core.db.models import Response, touchpoint_cell

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("touchpoint_cell"):
        return  # a new database: 0023's rebuild of every rollup created and filled it
    touchpoint_cell.create(bind)
    rows = Response.__table__
    for batch_id in bind.execute(sa.select(rows.c.batch_id).distinct()).scalars().all():
        add_batch(bind, batch_id)


def downgrade() -> None:
    touchpoint_cell.drop(op.get_bind())
