"""Migrations build exactly the schema the models describe, from empty, on SQLite and Postgres."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cem_core.db import migrate
from cem_core.models import Base


def test_migrations_match_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff
    tables = set(inspect(engine).get_table_names())
    assert {"responses", "ratings", "customers", "import_batches", "audit_log"} <= tables


def test_machine_keys_compare_bytes_on_postgres(pg_engine: Engine) -> None:
    """Autogenerate does not compare collations, so: the columns the models give ``COLLATE "C"``
    (``models.machine_key``) have it in the database, and no other column of ours has a collation."""
    wanted = {(t.name, c.name) for t in Base.metadata.tables.values() for c in t.columns
              if getattr(c.type.dialect_impl(pg_engine.dialect), "collation", None) == "C"}
    assert wanted == {("responses", "row_key"), ("customers", "customer_key"), ("customers", "phone_hash"),
                      ("customers", "email_hash")}
    with pg_engine.connect() as conn:
        found = set(conn.exec_driver_sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND collation_name IS NOT NULL").all())
    assert found == wanted


def test_migrate_is_idempotent(engine) -> None:
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None


def test_sqlite_pragmas(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
