"""Journeys: the editable journey's layout (touchpoint order, retired and to-be-mapped flags) and the
synonyms remembered when an admin maps an imported stage or touchpoint name (issue 14).

Two new tables; existing rows are untouched (a stage or touchpoint without a layout row is active, in
template order). Two covering indexes make the journey analyses one index-only pass at 1M responses:
``ix_responses_journey`` (until now journey_key, journey_step) also carries the scores, touchpoint and
filter columns, so peak-end groups by journey in index order without a sort or table access; and
``ix_responses_touchpoint_scores`` does the same for the emotion curve's per-touchpoint sums. Finding one
customer by phone or email reads ``ix_customers_phone`` / ``ix_customers_email_lower`` when no keyed hash
was stored (demo customers, older imports) instead of scanning every customer.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JOURNEY_COVER = ("journey_key", "journey_step", "touchpoint_id", "csat", "nps", "ces", "overall_sat", "occurred_date",
                 "channel_id", "stage_id")
CURVE_COVER = ("stage_id", "touchpoint_id", "nps", "csat", "ces", "occurred_date", "channel_id")


def upgrade() -> None:
    op.create_table(
        "journey_layout",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("ref_id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("needs_mapping", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "journey_synonyms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "name_key"),
    )


    op.drop_index("ix_responses_journey", table_name="responses")
    op.create_index("ix_responses_journey", "responses", list(JOURNEY_COVER))
    op.create_index("ix_responses_touchpoint_scores", "responses", list(CURVE_COVER))
    op.create_index("ix_customers_phone", "customers", ["phone"])
    op.create_index("ix_customers_email_lower", "customers", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customers_email_lower", table_name="customers")
    op.drop_index("ix_customers_phone", table_name="customers")
    op.drop_index("ix_responses_touchpoint_scores", table_name="responses")
    op.drop_index("ix_responses_journey", table_name="responses")
    op.create_index("ix_responses_journey", "responses", ["journey_key", "journey_step"])
    op.drop_table("journey_synonyms")
    op.drop_table("journey_layout")
