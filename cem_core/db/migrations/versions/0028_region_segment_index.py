"""Scale: the region index leads a covering index by region, segment and date, so the typical "region +
segment" filter reads only its rows where no rollup answers it.

Trends by day, the overview's partial months and drill-down pages filtered by region and segment read the
rows (the day rollup has no region or segment). ``ix_responses_text_dims`` is date-led: every date's
entries were read and filtered, and the day cube and drill-down fetched channel, stage and spend from the
table (trends 0.89, drill-down pages 0.85-0.90 of a full scan at 1M rows on SQLite, goal 0.25).
``ix_responses_region_segment`` (region, segment, occurred_date, channel_id, stage_id, nps, csat, ces,
spend) holds one region and segment's rows in date order with every column those queries read. It
replaces ``ix_responses_region`` (lookups by region alone still lead with it), so imports keep the same
number of indexes.

Revision ID: 0028
Revises: 0026
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None

COLUMNS = ["region", "segment", "occurred_date", "channel_id", "stage_id", "nps", "csat", "ces", "spend"]


def upgrade() -> None:
    op.create_index("ix_responses_region_segment", "responses", COLUMNS)
    op.drop_index("ix_responses_region", table_name="responses")


def downgrade() -> None:
    op.create_index("ix_responses_region", "responses", ["region"])
    op.drop_index("ix_responses_region_segment", table_name="responses")
