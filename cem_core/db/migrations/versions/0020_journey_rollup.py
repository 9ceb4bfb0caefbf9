"""Journeys at scale: ``journey_rollup``, each journey's figures kept by every writer (issue 14).

One row per (batch, journey, region, product, segment) with the packed peak, trough, best, end and
overall keys and the count and sum of scores of CSAT, NPS and CES (``cem_core.analyze.journey_rollup``).
Peak-end then reads ~220k journey rows instead of 1M responses. And ``curve_rollup``: n, sum and sum
of squares of each score per batch, day, channel, stage and touchpoint, for the emotion curve.
Existing data is kept; both tables are filled from the stored rows by migration 0023, which rebuilds
every rollup with the writers' own code (``analyze.rollup.rebuild_all``): filling them here too would
read ``responses`` twice more for nothing.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

from cem_core.db.models import curve_rollup, journey_rollup

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    journey_rollup.create(bind)
    curve_rollup.create(bind)


def downgrade() -> None:
    curve_rollup.drop(op.get_bind())
    journey_rollup.drop(op.get_bind())
