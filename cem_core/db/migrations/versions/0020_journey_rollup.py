"""Journeys at scale: ``journey_rollup``, each journey's figures kept by every writer (issue 14).

One row per (batch, journey, region, product, segment) with the packed peak, trough, best, end and
overall keys and the count and sum of scores of CSAT, NPS and CES (``cem_core.analyze.journey_rollup``).
Peak-end then reads ~220k journey rows instead of 1M responses. Existing data is kept; the table is
filled from the stored rows by the same code the writers use, batch by batch (about one read of
``responses``, several seconds at 1M rows).

Revision ID: 0020
Revises: 0015
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import select

from cem_core.analyze.journey_rollup import add_batch
from cem_core.db.models import Response, journey_rollup

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    journey_rollup.create(bind)
    for (batch_id,) in bind.execute(select(Response.__table__.c.batch_id).distinct()).all():
        add_batch(bind, batch_id)


def downgrade() -> None:
    journey_rollup.drop(op.get_bind())
