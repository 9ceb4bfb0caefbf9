"""Scale: month-cell rollups for the analysis page, and the CES sum of squares in ``response_rollup``.

``analysis_rollup`` (counts, NPS/CSAT/CES histograms, spend per NPS score), ``driver_rollup`` (key-driver
moments) and ``rollup_coverage`` (what they cover, for the completeness check) per batch and month
cell; see ``cem_core.analyze.cells`` and ``cem_core.analyze.moments``. ``response_rollup.ces_sq`` lets
the trends tab read that rollup too. Existing data is kept; the new rollups are filled from the stored
rows by migration 0023 (``analyze.rollup.rebuild_all`` writes the head schema, which 0023 completes).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import analysis_rollup, driver_rollup, rollup_coverage

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_NEW = (analysis_rollup, driver_rollup, rollup_coverage)


def upgrade() -> None:
    op.add_column("response_rollup", sa.Column("ces_sq", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    for table in _NEW:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_NEW):
        table.drop(bind)
    with op.batch_alter_table("response_rollup") as batch:
        batch.drop_column("ces_sq")
