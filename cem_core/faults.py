"""Operational faults: what went wrong with the database or the disk, said in one translated line.

A database or I/O error that reaches an operator must name the database (a file path, or the URL with
its password masked) and the problem in words they can act on, never as a traceback. ``classify`` turns
a driver or OS exception into a ``Fault`` (an i18n key, its values and an exit code); the CLI prints it
and exits with the code, the app shows it as an error page and stays up.

Exit codes, documented in ``python -m cem_core --help`` and the README:
0 success; 1 bad input (a rejected file, a wrong option); 2 the database cannot be opened or reached
(missing directory, server unreachable, authentication failed, no such database); 3 the database or its
disk cannot be written (read-only file, read-only directory, disk full); 4 waited too long for another
import or writer; 5 any other database or I/O error.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cem_core.db import brief_lock_wait, sqlite_path
from cem_core.i18n import t

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNREACHABLE, EXIT_NOT_WRITABLE, EXIT_BUSY, EXIT_OTHER = 0, 1, 2, 3, 4, 5
EXIT_CODES_HELP = """exit codes:
  0  success
  1  bad input: a file was rejected or failed validation, or a wrong option
  2  the database cannot be opened or reached: missing directory, server unreachable,
     authentication failed, no such database
  3  the database or its disk cannot be written: read-only file or directory, disk full
  4  busy: waited longer than import_wait_minutes for another import, or the
     database stayed locked by another writer (SQLite)
  5  any other database or I/O error"""


class Fault(Exception):
    """An operational fault: ``key`` names the translated message, ``values`` fill it in."""

    def __init__(self, key: str, *, exit_code: int = EXIT_OTHER, **values: object) -> None:
        super().__init__(key, values)
        self.key, self.values, self.exit_code = key, values, exit_code

    @property
    def kind(self) -> str:
        return self.key.removeprefix("faults.")

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.message("en")


def location(url: str) -> str:
    """The database as an operator knows it: a SQLite file's path, else the URL with the password masked."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        return sqlite_path(url) or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (SQLAlchemy's ``orig``) and what caused it, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def _dir_writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder``, tried for real (``os.access`` says yes to root even
    on an immutable or read-only-mounted directory)."""
    probe = folder / f".cem-write-probe-{uuid.uuid4().hex}"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


def _sqlite_fault(exc: sqlite3.Error, db: str, path: str | None) -> Fault:
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorname", "")
    if "locked" in text or "busy" in code.lower():
        return Fault("faults.busy", exit_code=EXIT_BUSY, db=db)
    if "is full" in text or code == "SQLITE_FULL":
        return Fault("faults.disk_full", exit_code=EXIT_NOT_WRITABLE, db=db)
    if "readonly" in text or "read-only" in text or code.startswith("SQLITE_READONLY"):
        if path and not _dir_writable(Path(path).parent):
            return Fault("faults.read_only_dir", exit_code=EXIT_NOT_WRITABLE, db=db, dir=str(Path(path).parent))
        return Fault("faults.read_only", exit_code=EXIT_NOT_WRITABLE, db=db)
    if "unable to open" in text or code.startswith("SQLITE_CANTOPEN"):
        if path and not Path(path).parent.is_dir():
            return Fault("faults.missing_dir", exit_code=EXIT_UNREACHABLE, db=db, dir=str(Path(path).parent))
        if path and not _dir_writable(Path(path).parent):
            return Fault("faults.read_only_dir", exit_code=EXIT_NOT_WRITABLE, db=db, dir=str(Path(path).parent))
        return Fault("faults.cannot_open", exit_code=EXIT_UNREACHABLE, db=db, error=_first_line(exc))
    if "disk i/o" in text or code.startswith("SQLITE_IOERR"):
        return Fault("faults.io_error", exit_code=EXIT_OTHER, db=db, error=_first_line(exc))
    return Fault("faults.database_error", exit_code=EXIT_OTHER, db=db, error=_first_line(exc))


# Postgres reports connection failures as libpq text, before any SQLSTATE exists.
_PG_AUTH = ("password authentication failed", "not permitted to log in", "no pg_hba.conf entry")
_PG_UNREACHABLE = ("connection refused", "could not translate host name", "timeout expired", "no route to host",
                   "network is unreachable", "server closed the connection", "name or service not known",
                   "connection timed out", "could not connect")


def _pg_fault(exc: BaseException, db: str) -> Fault | None:
    text = str(exc).lower()
    state = getattr(exc, "sqlstate", None) or ""
    if state == "25006" or "read-only transaction" in text:
        return Fault("faults.read_only", exit_code=EXIT_NOT_WRITABLE, db=db)
    if state.startswith("53") or "no space left" in text or "could not extend file" in text:
        return Fault("faults.disk_full", exit_code=EXIT_NOT_WRITABLE, db=db)
    if state.startswith("28"):
        return Fault("faults.auth_failed", exit_code=EXIT_UNREACHABLE, db=db, error=_first_line(exc))
    if state == "3D000":
        return Fault("faults.no_database", exit_code=EXIT_UNREACHABLE, db=db, error=_first_line(exc))
    if not state:
        error = _first_line(exc)
        if any(n in text for n in _PG_AUTH) or ('role "' in text and "does not exist" in text):
            return Fault("faults.auth_failed", exit_code=EXIT_UNREACHABLE, db=db, error=error)
        if 'database "' in text and "does not exist" in text:
            return Fault("faults.no_database", exit_code=EXIT_UNREACHABLE, db=db, error=error)
        if any(n in text for n in _PG_UNREACHABLE):
            return Fault("faults.unreachable", exit_code=EXIT_UNREACHABLE, db=db, error=error)
    return None


def _os_fault(exc: OSError, db: str, path: str | None) -> Fault:
    where = exc.filename or db
    if exc.errno == errno.ENOSPC:
        return Fault("faults.disk_full", exit_code=EXIT_NOT_WRITABLE, db=db)
    folder = Path(path).parent if path else None
    if (folder is not None and exc.filename and not folder.exists()
            and Path(exc.filename) in (folder, *folder.parents)):  # the database's directory could not be made
        return Fault("faults.missing_dir", exit_code=EXIT_UNREACHABLE, db=db, dir=str(folder))
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Fault("faults.not_writable", exit_code=EXIT_NOT_WRITABLE, db=db, path=str(where))
    return Fault("faults.io_error", exit_code=EXIT_OTHER, db=db, error=f"{where}: {os.strerror(exc.errno or 0)}")


def _first_line(exc: BaseException) -> str:
    line = next((s.strip() for s in str(exc).splitlines() if s.strip()), type(exc).__name__)
    return line.removeprefix("connection failed: ")[:300]


def probe_write(engine: Engine) -> Fault | None:
    """Whether the database takes a write, tried for real and rolled back: None if it does (or if another
    writer holds the lock this instant), else the Fault that says why not. The app asks this so it can
    say up front that it is read-only instead of failing at the first click that writes."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as conn, brief_lock_wait(conn, 200), conn.begin() as tx:  # not behind an import
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            tx.rollback()
    except (SQLAlchemyError, OSError) as exc:
        fault = classify(exc, url)
        if fault is None:
            raise
        return None if fault.kind == "busy" else fault
    return None


def classify(exc: BaseException, url: str) -> Fault | None:
    """The ``Fault`` behind ``exc`` for the database at ``url``, or None when it is not operational
    (a bug, which should surface as one)."""
    db = location(url)
    path = sqlite_path(url) if url.startswith("sqlite") else None
    for item in _chain(exc):
        if isinstance(item, Fault):
            return item
        if isinstance(item, sqlite3.Error):
            return _sqlite_fault(item, db, path)
        if type(item).__module__.startswith(("psycopg", "psycopg2")):
            fault = _pg_fault(item, db)
            if fault is not None:
                return fault
            return Fault("faults.database_error", exit_code=EXIT_OTHER, db=db, error=_first_line(item))
        if isinstance(item, OSError):
            return _os_fault(item, db, path)
    return None
