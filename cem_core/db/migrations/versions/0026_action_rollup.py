"""Close the loop at scale: the figures read a rollup kept by database triggers instead of every item.

``action_rollup`` (per day of creation and department: opened, done, with a due time, resolved late),
``action_contact_hist`` (per day, department and whole minutes to the first contact: the exact median is
read off it) and ``action_items.recovered`` (per resolved detractor item: the customer answered again at
NPS 7+ after the resolution), kept by triggers on ``action_items`` and ``responses`` whoever writes
(``cem_core.act.loop_rollup``). Two partial indexes: the unresolved items by due time (the SLA breaches
and overdue items that move with the clock) and the resolved detractor items with their recovery.
Existing data is kept: the rollups and ``recovered`` are filled from the stored items here.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.act.loop_rollup import backfill, create_triggers, drop_triggers
from cem_core.db.models import action_contact_hist, action_rollup

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("action_items", sa.Column("recovered", sa.SmallInteger(), nullable=True))
    action_rollup.create(bind)
    action_contact_hist.create(bind)
    backfill(bind)
    where = {"sqlite_where": sa.text("resolved_at IS NULL"), "postgresql_where": sa.text("resolved_at IS NULL")}
    op.create_index("ix_action_items_unresolved", "action_items", ["department_id", "due_at", "created_at"], **where)
    where = {"sqlite_where": sa.text("recovered IS NOT NULL"), "postgresql_where": sa.text("recovered IS NOT NULL")}
    op.create_index("ix_action_items_recovery", "action_items",
                    ["department_id", "customer_id", "recovered", "created_at"], **where)
    create_triggers(bind)


def downgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind)
    op.drop_index("ix_action_items_recovery", table_name="action_items")
    op.drop_index("ix_action_items_unresolved", table_name="action_items")
    action_contact_hist.drop(bind)
    action_rollup.drop(bind)
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("recovered")
