"""Security writes (audit entries and sign-in attempts) that never wait for an import.

An import writes all its rows in ONE transaction (``db.write_transaction``), so it holds the writer for
its whole run: 35-45 s at a million rows on SQLite. Sign-in, sign-out, session expiry and the audit
entries of exports and unmasked views must not queue behind it:

- Postgres: written at once in a plain transaction. They skip the advisory lock of ``write_transaction``
  (that lock orders bulk writers' explicit id ranges; these inserts take ids from sequences) and the
  import locks no row they touch, so they never wait for it.
- SQLite has one writer per database file. The write is tried on the database with a short wait
  (``WAIT_MS``); when an import holds the writer, the entries go to a queue file beside the database
  (``<database>.security-queue``, its own writer, only ever held for a few milliseconds) and move into
  ``audit_log`` / ``login_attempts`` with the next security write that finds the writer free (also when
  the audit page opens). Nothing is lost or reordered: every entry keeps the time it was made, and the
  throttle counts queued failed attempts too.

Best-effort extras (``also``: the user's last sign-in time, a password re-hash) run only when the write
reaches the database; skipped while queued, they are redone at the next sign-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.exc import OperationalError

from cem_core.db import BUSY_TIMEOUT_MS, make_engine, write_transaction
from cem_core.db.models import AuditEntry, LoginAttempt

WAIT_MS = 300  # longer than any short writer holds SQLite's lock, far shorter than an import
QUEUE_SUFFIX = ".security-queue"
TABLES: tuple[Table, ...] = (AuditEntry.__table__, LoginAttempt.__table__)
Row = Mapping[str, object]


def queue_path(engine: Engine) -> Path | None:
    """The queue file of a SQLite database file; None for Postgres and in-memory SQLite (no queue)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    return Path(db + QUEUE_SUFFIX) if db and db != ":memory:" else None


_QUEUE_ENGINES: dict[str, Engine] = {}
_QUEUE_LOCK = threading.Lock()


def _queue_engine(path: str) -> Engine:
    """One engine per queue file, its two tables created on first use (the same definitions as the database's).

    The first use is typically many sessions at once (a burst of sign-ins while the writer is busy): under
    a lock, so one thread creates the engine and the others take it, and inside ``BEGIN IMMEDIATE``, so a
    second process creating the same file waits for the first instead of failing. ``create_all`` in a plain
    deferred transaction reads the schema, then writes: when another connection committed in between,
    SQLite refuses the upgrade at once, without the busy timeout ("database is locked"; 14 of 30
    concurrent sign-ins failed so in bench/bench_load.py and in
    tests/auth/test_trust_access.py::test_burst_of_sign_ins_while_the_writer_is_held)."""
    with _QUEUE_LOCK:
        engine = _QUEUE_ENGINES.get(path)
        if engine is None:
            engine = make_engine(f"sqlite:///{path}")
            with write_transaction(engine) as conn:
                TABLES[0].metadata.create_all(conn, tables=list(TABLES))
            _QUEUE_ENGINES[path] = engine
        return engine


def queue_engine(engine: Engine) -> Engine | None:
    """The queue's engine when the queue file exists (it is created only when something had to wait)."""
    path = queue_path(engine)
    return _queue_engine(str(path)) if path is not None and path.exists() else None


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


def _set_busy_timeout(conn: Connection, ms: int) -> None:
    # At the driver level: through SQLAlchemy the PRAGMA would open a (deferred) transaction first.
    conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={ms}")


def _queued(queue: Engine) -> dict[Table, list[dict[str, object]]]:
    with queue.connect() as conn:
        return {t: [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()] for t in TABLES}


def _insert(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        conn.execute(insert(table), [dict(r) for r in rows])


def _try_sqlite(engine: Engine, rows: dict[Table, Sequence[Row]], also: Callable[[Connection], None] | None) -> bool:
    """Write ``rows`` (and move any queued ones) into the database if its writer is free within WAIT_MS."""
    queue = queue_engine(engine)
    moved = _queued(queue) if queue is not None else {}
    with engine.connect() as conn:
        _set_busy_timeout(conn, WAIT_MS)
        conn.info["write"] = True  # BEGIN IMMEDIATE: the lock is taken (or refused) up front
        try:
            try:
                tx = conn.begin()
            except OperationalError as exc:
                if _locked(exc):
                    return False
                raise
            with tx:
                for table in TABLES:
                    _insert(conn, table, [{k: v for k, v in r.items() if k != "id"} for r in moved.get(table, ())])
                    _insert(conn, table, rows.get(table, ()))
                if also is not None:
                    also(conn)
        finally:
            conn.info.pop("write", None)
            _set_busy_timeout(conn, BUSY_TIMEOUT_MS)
    if queue is not None and any(moved.values()):
        # After the database committed: a crash in between repeats entries, it never loses them.
        with write_transaction(queue) as q:
            for table, done in moved.items():
                if done:
                    q.execute(delete(table).where(table.c.id <= max(r["id"] for r in done)))
    return True


def _write_all(conn: Connection, rows: dict[Table, Sequence[Row]], also: Callable[[Connection], None] | None) -> None:
    for table in TABLES:
        _insert(conn, table, rows.get(table, ()))
    if also is not None:
        also(conn)


def write(engine: Engine, *, audit: Iterable[Row] = (), attempts: Iterable[Row] = (),
          also: Callable[[Connection], None] | None = None) -> bool:
    """Append audit entries and sign-in attempts without waiting for an import (see the module docstring).
    True when they reached the database, False when queued (``also`` was then skipped)."""
    rows: dict[Table, Sequence[Row]] = {TABLES[0]: list(audit), TABLES[1]: list(attempts)}
    path = queue_path(engine)
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            _write_all(conn, rows, also)
        return True
    if path is None:  # in-memory SQLite: no other connection can hold its writer
        with write_transaction(engine) as conn:
            _write_all(conn, rows, also)
        return True
    if _try_sqlite(engine, rows, also):
        return True
    with write_transaction(_queue_engine(str(path))) as q:
        _write_all(q, rows, None)
    return False


def flush(engine: Engine) -> None:
    """Move queued entries into the database now if its writer is free (the audit page calls this)."""
    if queue_engine(engine) is not None:
        _try_sqlite(engine, {}, None)


def queued_attempts(engine: Engine, *, key: str, since: object) -> list[tuple[object, bool, int]]:
    """Queued sign-in attempts of ``key`` after ``since`` as (at, success, id), for the throttle."""
    queue = queue_engine(engine)
    if queue is None:
        return []
    c = LoginAttempt.__table__.c
    with queue.connect() as conn:
        return [tuple(r) for r in conn.execute(select(c.at, c.success, c.id).where(c.username == key, c.at > since))]
