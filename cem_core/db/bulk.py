"""Fast bulk writes inside an open transaction: sqlite3 ``executemany`` or Postgres ``COPY``.

Going below SQLAlchemy's ORM here is deliberate: it is 5-8x faster (see GUIDE section 7) and is what
keeps a million-row import or demo load within a minute. Ids are assigned by the caller from
``next_id`` so child rows (ratings) can reference parents without a round trip per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import BigInteger, Connection, SmallInteger, Table, func, select

BULK_MIN_ROWS = 50_000
#: rows rendered into COPY data at a time by ``insert_columns``: bounds the rendered text (~60 MB) whatever
#: the number of rows (a 10M demo load's day-term rollup is millions of rows written at once)
COPY_SLICE = 500_000


def next_id(conn: Connection, table: Table) -> int:
    """First free id of ``table``; safe because writers hold the write lock (``db.write_transaction``)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]],
                constants: Mapping[str, int | None] | None = None) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` within the caller's transaction.
    ``constants``: columns with one value for every row (a batch id), written into the SQLite statement
    once instead of bound per row (binding cost about half of a narrow rollup row's insert), appended to
    each row elsewhere."""
    constants = dict(constants or {})
    cols = ", ".join([*columns, *constants])
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        marks = ", ".join(["?"] * len(columns) + [_literal(v) for v in constants.values()])
        cur = dbapi.cursor()
        cur.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
        cur.close()
        return
    if constants:
        tail = tuple(constants.values())
        rows = (tuple(r) + tail for r in rows)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:  # pragma: no cover - other dialects take the portable path
        names = [*columns, *constants]
        conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in rows])


def _literal(value: int | None) -> str:
    """An integer or NULL as SQL text (nothing else is ever written into a statement)."""
    return "NULL" if value is None else str(int(value))


def insert_columns(conn: Connection, table: Table, columns: Mapping[str, np.ndarray]) -> None:
    """Insert rows given as one numpy array per column (ints; floats with NaN for NULL; datetime64; object
    arrays of str / int / None; masked integer arrays, NULL where masked). On Postgres the COPY data is
    rendered as CSV by Arrow instead of a Python call per row (``write_row`` costs ~5 us a row: 4 minutes of a
    10M-row demo load, issue 17); a table of non-null integers goes as binary COPY, built as one structured
    array. Elsewhere: ``bulk_insert``, an integer (or NULL) column with one value for every row written into
    the statement once."""
    names = list(columns)
    if not len(columns[names[0]]):
        return
    if conn.dialect.name != "postgresql":
        columns = {c: np.array(v.tolist(), dtype=object) if np.ma.isMaskedArray(v) else v for c, v in columns.items()}
        constants = {c: v for c in names if (v := _constant(columns[c])) is not _VARIES}
        rest = [c for c in names if c not in constants]
        bulk_insert(conn, table, rest, zip(*(_python(columns[c]) for c in rest), strict=True), constants)
        return
    cols = ", ".join(names)
    binary = all(columns[c].dtype.kind in "iu" and not np.ma.isMaskedArray(columns[c]) for c in names)
    fmt = " (FORMAT BINARY)" if binary else " (FORMAT csv)"
    total = len(columns[names[0]])
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN{fmt}") as copy:
        for lo in range(0, total, COPY_SLICE):  # rendered a slice at a time: the COPY text of 8M rollup rows
            piece = {c: col[lo:lo + COPY_SLICE] for c, col in columns.items()}  # would be ~1 GB at once
            if binary:
                data = _binary(table, piece, header=lo == 0, trailer=lo + COPY_SLICE >= total)
            else:
                data = _csv_rows(piece)
            copy.write(data)
            del data


_VARIES = object()


def _constant(col: np.ndarray) -> object:
    """The one integer (or None) a column holds in every row, else ``_VARIES``."""
    first = col[0]
    if col.dtype.kind in "iu" or (col.dtype.kind == "O" and isinstance(first, int | np.integer)):
        return int(first) if bool(np.all(col == first)) else _VARIES
    if col.dtype.kind == "O" and first is None:
        return None if bool(np.all(np.equal(col, None))) else _VARIES
    return _VARIES


def _python(col: np.ndarray) -> list[object]:
    """One column as the values a DB-API driver takes."""
    if col.dtype.kind == "f":
        return [None if v != v else v for v in col.tolist()]
    if col.dtype.kind == "M":  # the ISO text SQLAlchemy stores on SQLite
        if col.dtype == np.dtype("datetime64[D]"):
            return np.datetime_as_string(col, unit="D").tolist()
        return [s.replace("T", " ") for s in np.datetime_as_string(col, unit="s").tolist()]
    return col.tolist()


def _csv_rows(columns: Mapping[str, np.ndarray]) -> bytes:
    """The columns as CSV for ``COPY ... (FORMAT csv)``, rendered by Arrow's C++ writer (pyarrow comes with
    streamlit): every text value quoted (quotes doubled; tabs, newlines, backslashes kept as they are), NULL
    as an empty unquoted field. Concatenating the fields as numpy object arrays cost ~3.6 s per 200k
    responses, 3 minutes of a 10M-row demo load; Arrow renders them 10x faster (issue 17)."""
    arrays = {}
    for name, col in columns.items():
        if np.ma.isMaskedArray(col):  # integers with NULLs, without a Python int per value
            arrays[name] = pa.array(col.data, mask=np.ma.getmaskarray(col))
        elif col.dtype.kind == "f":
            arrays[name] = pa.array(col, mask=np.isnan(col))
        elif col.dtype.kind == "O":
            arrays[name] = pa.array(col, from_pandas=True)
        else:
            arrays[name] = pa.array(col)
    out = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(arrays), out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue().to_pybytes()


def _binary(table: Table, columns: Mapping[str, np.ndarray], header: bool = True, trailer: bool = True) -> bytes:
    """PGCOPY binary: header, per row a field count and (length, big-endian value) per field, trailer; a
    slice of a longer COPY leaves out the header (all but the first) or the trailer (all but the last)."""
    def width(name: str) -> str:
        kind = table.c[name].type
        return ">i2" if isinstance(kind, SmallInteger) else ">i8" if isinstance(kind, BigInteger) else ">i4"

    fields = [("n", ">i2")]
    for i, name in enumerate(columns):
        fields += [(f"l{i}", ">i4"), (f"v{i}", width(name))]
    rows = np.empty(len(next(iter(columns.values()))), dtype=fields)
    rows["n"] = len(columns)
    for i, (name, col) in enumerate(columns.items()):
        rows[f"l{i}"] = np.dtype(width(name)).itemsize
        rows[f"v{i}"] = col
    return (b"PGCOPY\n\xff\r\n\x00" + bytes(8) if header else b"") + rows.tobytes() + (b"\xff\xff" if trailer else b"")


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


def _secondary(conn: Connection, tables: Sequence[str], keep: Sequence[str] = (),
               trusted: bool = False) -> list[tuple[str, str]]:
    """(statement to drop, statement to recreate) for the indexes that back no constraint, and on Postgres
    the foreign keys: what a bulk load may drop and rebuild, except the indexes named in ``keep``. Read
    from the catalog, so a migration that adds an index is covered without touching this code.
    ``trusted``: the foreign keys come back ``NOT VALID`` (see ``deferred_indexes``)."""
    out: list[tuple[str, str]] = []
    for table in tables:
        if conn.dialect.name == "sqlite":  # autoindexes of UNIQUE / PRIMARY KEY have no SQL: kept
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
                "ORDER BY name", (table,))
            out += [(f'DROP INDEX "{name}"', sql) for name, sql in rows if name not in keep]
        else:
            rows = conn.exec_driver_sql(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %(t)s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
                {"t": table})
            out += [(f'DROP INDEX "{name}"', sql) for name, sql in rows if name not in keep]
            rows = conn.exec_driver_sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %(t)s::regclass AND contype = 'f' ORDER BY 1", {"t": table})
            for name, sql in rows:  # the catalog's text already ends in NOT VALID for an unchecked key
                unchecked = trusted and not sql.endswith(" NOT VALID")
                out.append((f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
                            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}{" NOT VALID" if unchecked else ""}'))
    return out


@contextmanager
def deferred_indexes(conn: Connection, tables: Sequence[str], keep: Sequence[str] = (),
                     trusted: bool = False) -> Iterator[None]:
    """Inside the caller's transaction: drop the secondary indexes (and on Postgres the foreign keys) of
    ``tables`` but those named in ``keep`` (the ones the body looks rows up by), let the body load rows,
    then rebuild them. DDL is transactional on both databases, so a
    failed load rolls the drops back with the rows. On SQLite (WAL) readers keep their snapshot and never
    wait; on Postgres other sessions' reads of these tables wait for the commit (ACCESS EXCLUSIVE), which
    is why callers use this only for a load that at least doubles the table (``bulk_worth_it``), and on
    Postgres only while nobody else uses the database (``readers_keep_going``).

    ``trusted`` (Postgres): the body wrote only rows whose references it made itself (the demo generator
    assigns every id it points to), so the foreign keys come back ``NOT VALID``: enforced on every later
    insert and update like any constraint, but the rows already there are not re-checked (at 10M rows
    that check read ``ratings`` and ``response_text`` against ``responses``: 25 s of a 10-minute budget).
    Imports never pass it: a spreadsheet's rows are checked. ``ALTER TABLE ... VALIDATE CONSTRAINT`` can
    check them later without blocking readers."""
    saved = _secondary(conn, tables, keep, trusted)
    for drop, _create in saved:
        conn.exec_driver_sql(drop)
    yield
    if conn.dialect.name == "postgresql":
        # sorts in memory (2-3x faster): the widest index of 10M responses sorts ~600 MB
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
    for _drop, create in saved:
        conn.exec_driver_sql(create)


@contextmanager
def sorts_on_disk(conn: Connection) -> Iterator[None]:
    """On SQLite, for the caller's block: temporary sort data (index builds, ``GROUP BY`` of the rollups)
    goes to temporary files instead of the heap (the pool's ``temp_store=MEMORY``, right for a page's
    small sorts). Rebuilding an index of 2M rows sorts all of them: in memory that is hundreds of MB of
    the importing process (issue 18: every import under 1 GB peak RSS); in a file it is the OS's page
    cache. A connection setting that SQLite refuses to change inside a transaction: use before ``begin``
    (like ``db.brief_lock_wait``); put back whatever happened."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection  # outside any transaction: the driver is in autocommit mode
    before = int(raw.execute("PRAGMA temp_store").fetchone()[0])
    raw.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        with suppress(sqlite3.Error):  # a dead connection: never hide the error that ended the block
            raw.execute(f"PRAGMA temp_store = {before}")
