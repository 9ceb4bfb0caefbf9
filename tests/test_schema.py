"""Migrations build exactly the schema the models describe, from empty, on SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError

from cem_core.db import alembic_config, make_engine, migrate
from cem_core.db.models import Base
from cem_core.ingest.load import import_file
from tests.fixtures.ingest_files import write_csv
from tests.test_bulk import HEADER, insert_copy_of_a_row_key
from tests.test_ingest_load import counts, many_rows


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


@pytest.mark.parametrize("url", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_upgrade_to_unique_row_key_index_keeps_every_row(url: str, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    """0006 rebuilds ``responses`` on SQLite: with foreign keys on, that would cascade-delete the ratings."""
    engine = make_engine(request.getfixturevalue(url))
    try:
        command.upgrade(alembic_config(engine), "0005")
        assert import_file(engine, write_csv(tmp_path / "a.csv", HEADER, many_rows(50)), user="u").rows_imported == 50
        before = counts(engine)
        migrate(engine)
        assert counts(engine) == before and before["ratings"] == 50
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        with pytest.raises(IntegrityError):
            insert_copy_of_a_row_key(engine)
    finally:
        engine.dispose()


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
