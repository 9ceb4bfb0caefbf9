"""Peak-end's cells per region: ``journey_region_cell`` (issue 14), the journeys' additive moments per batch,
measure, month pair and region, kept by every writer with ``journey_cell`` (``analyze.journey_cells.add_cells``).
A region filter then sums its regions' cells instead of reading every piece of the region from
``journey_rollup`` (60k pieces at 1M rows: about one scan of ``responses`` on Postgres). Filled from
``journey_rollup`` (one pass over its pieces per measure, no read of ``responses``); existing data is kept. A
database that ran 0023 or 0025 with this code has it already (they write the head schema).

Revision ID: 0039
Revises: 0038
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.analyze.journey_cells import add_region_cells
from cem_core.db.models import JOURNEY_MEASURES, journey_region_cell, journey_rollup

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("journey_region_cell"):
        return
    journey_region_cell.create(bind)
    batch_ids = list(bind.execute(sa.select(journey_rollup.c.batch_id).distinct()).scalars())
    if batch_ids:
        for measure in JOURNEY_MEASURES:
            add_region_cells(bind, measure, batch_ids)


def downgrade() -> None:
    journey_region_cell.drop(op.get_bind())
