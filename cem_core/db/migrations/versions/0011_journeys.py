"""Journeys: the editable journey's layout (touchpoint order, retired and to-be-mapped flags) and the
synonyms remembered when an admin maps an imported stage or touchpoint name (issue 14).

Two new tables only; existing rows are untouched (a stage or touchpoint without a layout row is active,
in template order).

Revision ID: 0011
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    op.drop_table("journey_synonyms")
    op.drop_table("journey_layout")
