"""Import speed: drop the foreign keys from responses and ratings to the small dimension tables.

A 1M-row import with three rated attributes ran ~6M foreign-key checks for ``responses.channel_id``,
``stage_id``, ``touchpoint_id`` and ``ratings.attribute_id`` alone (Postgres: a trigger and an index probe
each; COPY of the same 1M responses + 3M ratings took ~20 s less without them). Those ids are never typed
by a user: the importer and the demo loader resolve or create them in the same transaction, and undo
deletes a reference row only after counting that no response, rollup row or rating uses it. The keys
that deletion relies on stay: ``batch_id`` and ``customer_id`` (ON DELETE CASCADE) and
``ratings.response_id``, which ``privacy.deletion.delete_customers`` follows.

SQLite cannot drop a constraint, so the two tables are rebuilt, with foreign keys off
(``db.sqlite_without_fk_checks``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from cem_core.db import sqlite_without_fk_checks

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_DROPPED = {  # table -> [(column, referred table)]
    "responses": [("channel_id", "channels"), ("stage_id", "journey_stages"), ("touchpoint_id", "touchpoints")],
    "ratings": [("attribute_id", "attributes")],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, fks in _DROPPED.items():
            for column, _referred in fks:
                op.drop_constraint(f"{table}_{column}_fkey", table, type_="foreignkey")
        return

    def rebuild() -> None:
        for table, fks in _DROPPED.items():
            with op.batch_alter_table(table, recreate="always", naming_convention=_NAMING) as batch:
                for column, referred in fks:
                    batch.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")

    sqlite_without_fk_checks(op.get_bind(), rebuild)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, fks in _DROPPED.items():
            for column, referred in fks:
                op.create_foreign_key(f"{table}_{column}_fkey", table, referred, [column], ["id"])
        return

    def rebuild() -> None:
        for table, fks in _DROPPED.items():
            with op.batch_alter_table(table, recreate="always") as batch:
                for column, referred in fks:
                    batch.create_foreign_key(f"fk_{table}_{column}_{referred}", referred, [column], ["id"])

    sqlite_without_fk_checks(op.get_bind(), rebuild)
