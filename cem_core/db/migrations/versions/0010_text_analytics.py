"""Text analytics: per-comment analysis, term and topic rollups, versioned text settings.

New tables only (existing data is untouched). Comments already stored are analysed by
``python -m cem_core text rebuild`` (or the Text settings page), not by this migration: analysing a
million comments takes minutes and a schema upgrade should not.

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def _keys() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("batch_id", sa.Integer(), sa.ForeignKey("import_batches.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("occurred_date", sa.Date(), nullable=False),
            sa.Column("channel_id", sa.Integer()), sa.Column("stage_id", sa.Integer()),
            sa.Column("touchpoint_id", sa.Integer())]


def upgrade() -> None:
    op.create_table(
        "response_text",
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_response_text_batch_id", "response_text", ["batch_id"])
    op.create_table(
        "text_term_rollup", *_keys(),
        sa.Column("sentiment", sa.String(8), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("term", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_text_term_rollup_batch_id", "text_term_rollup", ["batch_id"])
    op.create_index("ix_text_term_rollup_day", "text_term_rollup", ["occurred_date", "kind"])
    op.create_table(
        "text_topic_rollup", *_keys(),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("sentiment", sa.String(8), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
    )
    op.create_index("ix_text_topic_rollup_batch_id", "text_topic_rollup", ["batch_id"])
    op.create_index("ix_text_topic_rollup_day", "text_topic_rollup", ["occurred_date", "topic"])
    op.create_table(
        "text_settings",
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("industry", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(128)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(255)),
    )


def downgrade() -> None:
    for table in ("text_settings", "text_topic_rollup", "text_term_rollup", "response_text"):
        op.drop_table(table)
