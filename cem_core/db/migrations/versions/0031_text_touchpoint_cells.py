"""Journeys at scale: ``text_touchpoint_cell``, the journey map's text columns (analysed and negative comments
per touchpoint, negative clauses per topic) by batch, month, stage, touchpoint, region, product and segment
(no channel: it doubled the rows), so the map under a region, product or segment filter sums cells instead of reading the comments' rows
(``text.report.touchpoint_negative_sums``). Filled from the stored analysis (``text.store.place_cells_from_stored``:
the writers' counters, no re-analysis); existing data is kept.

And one covering index of ``journey_rollup`` per region, product and segment (``ix_journey_rollup_region`` ...),
so peak-end under such a filter reads only the matching pieces, not all of them.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import ResponseText, journey_rollup, text_touchpoint_cell
from cem_core.text.store import place_cells_from_stored

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

PLACE_INDEXES = ("ix_journey_rollup_region", "ix_journey_rollup_product", "ix_journey_rollup_segment")


def upgrade() -> None:
    bind = op.get_bind()
    text_touchpoint_cell.create(bind, checkfirst=True)
    if sa.inspect(bind).has_table(ResponseText.__tablename__):
        place_cells_from_stored(bind)
    for index in journey_rollup.indexes:
        if index.name in PLACE_INDEXES:
            index.create(bind, checkfirst=True)


def downgrade() -> None:
    for name in PLACE_INDEXES:
        op.drop_index(name, table_name="journey_rollup")
    text_touchpoint_cell.drop(op.get_bind())
