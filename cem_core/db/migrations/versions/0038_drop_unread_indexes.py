"""Scale (issue 17): drop four secondary indexes of ``responses`` that no page query reads any more.

``ix_responses_product`` and ``ix_responses_segment`` (0001, one column each), ``ix_responses_stage_channel``
(0001) and ``ix_responses_touchpoint_scores`` (0011, the emotion curve's covering index before ``curve_rollup``
and ``touchpoint_cell`` answered it; only a writer that skipped the rollups still sends the curve to the rows,
which then costs one scan). Measured: Postgres' ``idx_scan`` stayed 0 for all four through every overview,
analysis, journey and text query bench at 10M rows; on SQLite the same benches at 1M ran as fast without them
(docs/scale.md, fifth pass). Each was a sort of every row in a bulk load: 69 s of the 10M demo load's index
rebuild, and a B-tree insert per row and index in every import. Indexes only; existing data is kept;
``downgrade`` recreates them.

Revision ID: 0038
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0036"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_responses_product": ["product"],
    "ix_responses_segment": ["segment"],
    "ix_responses_stage_channel": ["stage_id", "channel_id"],
    "ix_responses_touchpoint_scores": ["stage_id", "touchpoint_id", "nps", "csat", "ces", "occurred_date",
                                       "channel_id"],
}


def upgrade() -> None:
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("responses")}
    for name in DROPPED:
        if name in existing:
            op.drop_index(name, table_name="responses")


def downgrade() -> None:
    for name, columns in DROPPED.items():
        op.create_index(name, "responses", columns)
