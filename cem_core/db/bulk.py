"""Fast bulk writes inside an open transaction: sqlite3 ``executemany`` or Postgres ``COPY``.

Going below SQLAlchemy's ORM here is deliberate: it is 5-8x faster (see GUIDE section 7) and is what
keeps a million-row import or demo load within a minute. Ids are assigned by the caller from
``next_id`` so child rows (ratings) can reference parents without a round trip per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import DBAPIError

BULK_MIN_ROWS = 50_000
BULK_CACHE_KIB = 256 * 1024  # SQLite's page cache while bulk loading (the pool's usual: 64 MiB)


def next_id(conn: Connection, table: Table) -> int:
    """First free id of ``table``; safe because writers hold the write lock (``db.write_transaction``)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` within the caller's transaction."""
    cols = ", ".join(columns)
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        cur = dbapi.cursor()
        cur.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
        cur.close()
    elif conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:  # pragma: no cover - other dialects take the portable path
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])


def sync_sequence(conn: Connection, table: Table) -> None:
    """After explicit ids on Postgres, move the id sequence past them so ORM inserts keep working."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
        )


def bulk_worth_it(incoming: int, stored: int) -> bool:
    """Rebuilding an index sorts once (seconds at a million rows); maintaining it costs a random B-tree
    insert per row and index (measured: 3-4x slower). Worth it when the load at least doubles the table."""
    return incoming >= BULK_MIN_ROWS and incoming >= stored


def readers_keep_going(conn: Connection) -> bool:
    """Whether ``deferred_indexes`` may run while the app serves people. On SQLite (WAL) readers keep their
    snapshot through the DDL and never wait. On Postgres ``DROP INDEX`` and ``DROP CONSTRAINT`` take ACCESS
    EXCLUSIVE locks on the table and every table its foreign keys point to, held until commit: every page
    run, sign-in and session check would wait for the whole load (26 s measured at 60k rows). So a Postgres
    import keeps its indexes and foreign keys and COPYs into the live table; only an offline step (a
    migration) defers them there."""
    return conn.dialect.name == "sqlite"


def _secondary(conn: Connection, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(statement to drop, statement to recreate) for the indexes that back no constraint, and on Postgres
    the foreign keys: what a bulk load may drop and rebuild. Read from the catalog, so a migration that
    adds an index is covered without touching this code."""
    out: list[tuple[str, str]] = []
    for table in tables:
        if conn.dialect.name == "sqlite":  # autoindexes of UNIQUE / PRIMARY KEY have no SQL: kept
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
                "ORDER BY name", (table,))
            out += [(f'DROP INDEX "{name}"', sql) for name, sql in rows]
        else:
            rows = conn.exec_driver_sql(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %(t)s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
                {"t": table})
            out += [(f'DROP INDEX "{name}"', sql) for name, sql in rows]
            rows = conn.exec_driver_sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %(t)s::regclass AND contype = 'f' ORDER BY 1", {"t": table})
            out += [(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
                     f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}') for name, sql in rows]
    return out


@contextmanager
def deferred_indexes(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Inside the caller's transaction: drop the secondary indexes (and on Postgres the foreign keys) of
    ``tables``, let the body load rows, then rebuild them. DDL is transactional on both databases, so a
    failed load rolls the drops back with the rows. On SQLite (WAL) readers keep their snapshot and never
    wait; on Postgres other sessions' reads of these tables wait for the commit (ACCESS EXCLUSIVE), which
    is why callers use this only for a load that at least doubles the table (``bulk_worth_it``), and on
    Postgres only while nobody else uses the database (``readers_keep_going``)."""
    saved = _secondary(conn, tables)
    for drop, _create in saved:
        conn.exec_driver_sql(drop)
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # SQLite sorts index builds in its page cache, and the kept UNIQUE autoindexes take random inserts
        cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
        conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")  # sorts in memory: 2-3x faster
        for _drop, create in saved:
            conn.exec_driver_sql(create)
    finally:
        if sqlite:  # a connection setting, not transactional: put it back whatever happened, but never
            with suppress(DBAPIError):  # hide the error that ended the load behind one from this
                conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")
