"""Text import speed: bigrams leave the day rollups (``text_term_rollup`` rows of kind 2).

They were 60 % of the ~8M day-rollup rows written for 1M distinct comments (~9 s of a 1M import's rollup
inserts and index rebuilds) and were read only for the days of a partial month at a date range's edges.
Bigrams are now counted by month alone (``text_term_cell``, unchanged); a range's edge days read their
bigrams from the comments' stored terms (``text.report.term_counts``). Every writer stopped writing them
(``text.sums.BIGRAM``); this deletes the stored ones, which nothing reads any more. Terms (kind 1) and the
month cells are kept as they are.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

from alembic import op

from cem_core.text import store

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM text_term_rollup WHERE kind = 2")


def downgrade() -> None:
    """The bigram day rows back, counted from the stored analysis: the code before this revision reads them."""
    store.bigram_days_from_stored(op.get_bind())
