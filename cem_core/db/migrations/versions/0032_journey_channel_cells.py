"""Journeys at scale, the last two filter combinations over one scan at 1M:

- ``text_touchpoint_cell`` gets ``channel_id``: the journey map under a channel and a region, product or
  segment filter read the comments' rows (2.8 full scans); now it sums these cells. The table is refilled from
  the stored analysis (``text.store.place_cells_from_stored``: the writers' counters, no re-analysis); existing
  data is kept.
- The covering indexes ``ix_journey_rollup_region`` / ``_product`` / ``_segment`` hold what peak-end reads for
  every measure (``models.JOURNEY_COVERED``), not only CSAT's: NPS and CES under a region filter looked each
  matching piece up in the table (1.1-1.2 scans).

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import ResponseText, journey_rollup, text_touchpoint_cell
from cem_core.text.store import place_cells_from_stored

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

PLACE_INDEXES = ("ix_journey_rollup_region", "ix_journey_rollup_product", "ix_journey_rollup_segment")


def upgrade() -> None:
    bind = op.get_bind()
    # 0031 creates the table from the current model: on a fresh database the column is there already.
    if "channel_id" not in {c["name"] for c in sa.inspect(bind).get_columns(text_touchpoint_cell.name)}:
        op.add_column(text_touchpoint_cell.name, sa.Column("channel_id", sa.Integer()))
        if sa.inspect(bind).has_table(ResponseText.__tablename__):
            place_cells_from_stored(bind)
    existing = {i["name"]: i["column_names"] for i in sa.inspect(bind).get_indexes(journey_rollup.name)}
    for index in journey_rollup.indexes:
        if index.name in PLACE_INDEXES and existing.get(index.name) != [c.name for c in index.columns]:
            if index.name in existing:  # 0031's (CSAT's columns only)
                op.drop_index(index.name, table_name=journey_rollup.name)
            index.create(bind)


def downgrade() -> None:
    # The CSAT-only indexes of 0031 are not rebuilt: the wider ones answer everything they did.
    op.drop_column(text_touchpoint_cell.name, "channel_id")
