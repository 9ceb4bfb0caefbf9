"""Analysis: two covering indexes, so analyses at 1M responses read an index instead of the table.

``ix_responses_text_dims``: grouping or filtering by region, product or segment (heat matrix, segments,
split histograms) read the whole table (~0.5 GB at 1M rows) or walked an index with a table lookup per
row; this index holds the date, the three text dimensions and the scores (12 months, region x segment
matrix: 1.2 s -> 0.4 s; segments by region 1.0 s -> 0.25 s).

``ix_ratings_attribute_score``: ``GROUP BY attribute_id, score`` over 2.5M ratings (1M responses) sorted the whole table on SQLite
(2.6-4.1 s); read in this index's order it needs no sort and no table access (0.15 s unfiltered).
``response_id`` is included so filtered histograms (``response_id IN (...)``) stay index-only too.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_responses_text_dims", "responses",
                    ["occurred_date", "region", "product", "segment", "nps", "csat", "ces"])
    op.create_index("ix_ratings_attribute_score", "ratings", ["attribute_id", "score", "response_id"])


def downgrade() -> None:
    op.drop_index("ix_ratings_attribute_score", table_name="ratings")
    op.drop_index("ix_responses_text_dims", table_name="responses")
