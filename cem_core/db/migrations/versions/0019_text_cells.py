"""Text queries at scale: month cells of the term and topic rollups, and an index on the analysis version.

``text_term_cell`` and ``text_topic_cell`` (see ``cem_core.db.models``) hold the day rollups summed per
batch, month, channel and stage, with the sentiments as columns: the word cloud, term table and topic
views read them for whole months (``cem_core.text.report``). Filled here from the day rollups in SQL
(``text.store.cells_from_day_rollups``; no re-analysis). ``ix_response_text_version`` lets the page's
cache token and ``text rebuild --stale`` count comments per settings version without a table scan.

Revision ID: 0019
Revises: 0016
"""

from __future__ import annotations

from alembic import op

from cem_core.db.models import text_term_cell, text_topic_cell
from cem_core.text.store import cells_from_day_rollups

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

_NEW = (text_term_cell, text_topic_cell)


def upgrade() -> None:
    bind = op.get_bind()
    for table in _NEW:
        table.create(bind)
    op.create_index("ix_response_text_version", "response_text", ["version"])
    cells_from_day_rollups(bind)


def downgrade() -> None:
    op.drop_index("ix_response_text_version", "response_text")
    bind = op.get_bind()
    for table in reversed(_NEW):
        table.drop(bind)
