"""Fast bulk writes inside an open transaction: sqlite3 ``executemany`` or Postgres ``COPY``.

Going below SQLAlchemy's ORM here is deliberate: it is 5-8x faster (see GUIDE section 7) and is what
keeps a million-row import or demo load within a minute. Ids are assigned by the caller from
``next_id`` so child rows (ratings) can reference parents without a round trip per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, func, select


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
