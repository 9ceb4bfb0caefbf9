"""Import speed: the row key's uniqueness as a unique index, and machine keys compared byte by byte.

A bulk load drops the secondary indexes of ``responses`` and rebuilds each once at the end
(``bulk.deferred_indexes``) instead of inserting into each row by row. The unique row key was a
constraint, which a bulk load could not drop: SQLite's autoindex of a UNIQUE constraint has no SQL to
recreate it from, and on Postgres it was skipped as backing a constraint. As a unique index it is
rebuilt like the others, and the rebuild still refuses a duplicate row key (the whole load then rolls
back).

Postgres: row keys, customer keys and the phone and email hashes are hex digests or opaque ids that are
matched and never shown in order, so they get ``COLLATE "C"``. Under the database's default collation
(``C.UTF-8``, ``en_US.UTF-8``, ``zh_CN.UTF-8``) each B-tree comparison of them goes through ``strcoll``.

Together, measured with ``bench/bench_import.py`` (1M-row csv into Postgres): 38.1 s before,
28.3-29.6 s after.

SQLite cannot drop a constraint, so ``responses`` is rebuilt, with foreign keys off
(``db.sqlite_without_fk_checks``). Measured at 1M responses: about 12 s on SQLite, 1.2 s on Postgres
(which only rebuilds the indexes).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db import sqlite_without_fk_checks

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MACHINE_KEYS = (("responses", "row_key", 64), ("customers", "customer_key", 128),
                 ("customers", "phone_hash", 64), ("customers", "email_hash", 64))
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraint for batch mode


def _collation(collation: str | None) -> None:
    for table, column, length in _MACHINE_KEYS:
        op.alter_column(table, column, type_=sa.String(length, collation=collation),
                        existing_type=sa.String(length), existing_nullable=column != "row_key")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("responses_row_key_key", "responses", type_="unique")
        _collation("C")
        op.create_index("ux_responses_row_key", "responses", ["row_key"], unique=True)
        return

    def rebuild() -> None:
        with op.batch_alter_table("responses", recreate="always", naming_convention=_NAMING) as batch:
            batch.drop_constraint("uq_responses_row_key", type_="unique")
            batch.create_index("ux_responses_row_key", ["row_key"], unique=True)

    sqlite_without_fk_checks(op.get_bind(), rebuild)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index("ux_responses_row_key", "responses")
        _collation(None)
        op.create_unique_constraint("responses_row_key_key", "responses", ["row_key"])
        return

    def rebuild() -> None:
        with op.batch_alter_table("responses", recreate="always") as batch:
            batch.drop_index("ux_responses_row_key")
            batch.create_unique_constraint("uq_responses_row_key", ["row_key"])

    sqlite_without_fk_checks(op.get_bind(), rebuild)
