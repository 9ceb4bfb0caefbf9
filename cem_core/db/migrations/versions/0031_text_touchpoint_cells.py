"""Journeys at scale: ``text_touchpoint_cell``, the journey map's text columns (analysed and negative comments
per touchpoint, negative clauses per topic) by batch, month, channel, stage, touchpoint, region, product and
segment, so the map under a region, product or segment filter sums cells instead of reading the comments' rows
(``text.report.touchpoint_negative_sums``). Filled from the stored analysis (``text.store.place_cells_from_stored``:
the writers' counters, no re-analysis); existing data is kept.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import ResponseText, text_touchpoint_cell
from cem_core.text.store import place_cells_from_stored

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    text_touchpoint_cell.create(bind, checkfirst=True)
    if sa.inspect(bind).has_table(ResponseText.__tablename__):
        place_cells_from_stored(bind)


def downgrade() -> None:
    text_touchpoint_cell.drop(op.get_bind())
