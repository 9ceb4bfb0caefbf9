"""Journeys at scale: ``touchpoint_cell`` and ``text_touchpoint_cell`` get one index per region, product and
segment, then the month (``ix_touchpoint_cell_region`` ..., ``ix_text_touchpoint_cell_region`` ...).

Under such a filter the journey map sums these cells, and both tables were read whole for a few matching cells:
on Postgres at 1M responses the map with one channel + region 华东 + 12 months read 239k text cells (20-28 ms)
and 78k touchpoint cells (11 ms) for 12k and 7k matching ones, the query 1.01-1.06x a full scan of
``responses`` in all. With the index each reads only its dimension's cells in the window (bitmap heap scan on
Postgres, an index range on SQLite): 4 ms and 11-14 ms there; on SQLite 7.7 -> 3.2 ms and 21 -> 7.2 ms CPU.
The emotion curve and peak-end's touchpoint exposure read ``touchpoint_cell`` the same way. Indexes only;
existing data is kept. A database created from scratch has them already (0023 and 0031 create the tables from
the head models).

Revision ID: 0035
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import PLACES, text_touchpoint_cell, touchpoint_cell

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None

TABLES = (touchpoint_cell, text_touchpoint_cell)


def _new(table: sa.Table) -> list[sa.Index]:
    return [i for i in table.indexes if i.name in {f"ix_{table.name}_{dim}" for dim in PLACES}]


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        existing = {i["name"] for i in sa.inspect(bind).get_indexes(table.name)}
        for index in _new(table):
            if index.name not in existing:
                index.create(bind)


def downgrade() -> None:
    for table in TABLES:
        for index in _new(table):
            op.drop_index(index.name, table_name=table.name)
