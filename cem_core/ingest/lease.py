"""Who is importing: a lease on each running batch that dies with its importer, and the SQLite import queue.

A batch is written as ``running`` in its own short transaction before the import transaction starts, so
that a failed import can be marked ``failed``. If the importer is killed (``kill -9``, a power cut, the
container stopped), nothing marks it, and the history would say ``running`` for ever. The importer
therefore holds a *lease* on the batch for as long as it works on it, and anyone may ask whether that
lease is still held:

- SQLite: an exclusive ``flock`` on ``<database>-imports/<batch id>.lease``. The kernel drops the lock
  when the process dies, however it dies. A SQLite database is a local file, so every importer runs on
  this machine and sees the same locks.
- Postgres: a session-level advisory lock ``(LEASE_KEY, batch id)`` taken by the connection that writes
  the batch row, in the same transaction, so the row is never visible without its lease. The server
  drops it when that session ends, which is also when it rolls back whatever the importer left open:
  "lease gone" means "its rows are gone". Importers may run on other machines; the lock is in the server.

Why not a heartbeat timestamp: on SQLite the import's own transaction holds the only write lock, so a
heartbeat needs a second store anyway, and any heartbeat needs a timeout, which is either short enough
to call a slow but healthy import dead (a 1M-row index rebuild is silent for tens of seconds) or long
enough to leave a dead one ``running`` for minutes. A lock held by the kernel or the server is released
exactly when its holder is gone.

The lease is taken (the lock) before the ``running`` row is committed and released after the batch's
final status is committed, so ``settle_interrupted`` can mark every running batch whose lease is free
as ``interrupted`` without ever touching a live import (its update also re-checks ``status='running'``).

The queue (``import_slot``): SQLite has one writer at a time, and an import holds the write lock from
its first row to its commit. A second import would wait ``busy_timeout`` and then fail with
"database is locked" part-way. Instead imports queue on ``<database>-imports/queue.lock`` before they
open a batch; the holder writes who it is (file, user, start, progress) into that file, so a waiting
importer can say what it waits for. Postgres imports do not queue here.

Not for Windows (``fcntl``): the app is deployed on Linux and macOS.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from cem_core import audit
from cem_core.config import SETTINGS, get_setting
from cem_core.db import brief_lock_wait, write_transaction
from cem_core.db.models import ImportBatch
from cem_core.faults import EXIT_BUSY, EXIT_OTHER, Fault, classify

LEASE_KEY = 7243  # first half of the Postgres advisory lock key; the batch id is the second
POLL_S = 0.5  # how often a waiting import looks at the queue again
_batches = ImportBatch.__table__


@dataclass
class Holder:
    """The import in progress, as a waiting import reports it."""

    file: str = ""
    user: str = ""
    started: str = ""  # ISO time, "YYYY-MM-DD HH:MM:SS"
    host: str = ""
    pid: int = 0
    progress: float = 0.0


Waiting = Callable[[Holder, float], None]  # (the import in progress, seconds waited so far)


def lock_dir(engine: Engine) -> Path:
    """``<database file>-imports``: next to the database, so every process using it finds the same locks.
    An in-memory database lives in one process only: a directory of its own for that process."""
    database = engine.url.database or ""
    if engine.url.query.get("uri") in ("true", "1") or database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return Path(tempfile.gettempdir()) / f"cem-imports-{os.getpid()}-{id(engine)}"
    return Path(f"{database}-imports")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Lease:
    """Held by the importer from before its batch row is committed until its final status is."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.batch_id: int | None = None
        self._fd: int | None = None
        self._path: Path | None = None
        self._conn: Connection | None = None

    def transaction(self) -> AbstractContextManager[Connection]:
        """The write transaction that creates the batch: on Postgres on the connection that keeps the lock."""
        if self.engine.dialect.name == "postgresql":
            self._conn = self.engine.connect()
            return write_transaction(self._conn)
        return write_transaction(self.engine)

    def bind(self, conn: Connection, batch_id: int) -> None:
        """Take the lease on ``batch_id`` inside the transaction that inserts it (before its commit)."""
        self.batch_id = batch_id
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k, :b)"), {"k": LEASE_KEY, "b": batch_id})
            return
        folder = lock_dir(self.engine)
        folder.mkdir(exist_ok=True)
        self._path = folder / f"{batch_id}.lease"
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(self._fd):  # another process holds this id: the database was replaced under it
            raise Fault("faults.lease_taken", exit_code=EXIT_OTHER, batch=batch_id, path=str(self._path))

    def release(self) -> None:
        if self._fd is not None and self._path is not None:
            with suppress(OSError):
                self._path.unlink()
            os.close(self._fd)  # closing drops the flock
            self._fd = None
        if self._conn is not None:
            if self.batch_id is not None:
                with suppress(SQLAlchemyError):  # a broken connection lost its lock with its session anyway
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k, :b)"),
                                       {"k": LEASE_KEY, "b": self.batch_id})
                    self._conn.commit()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _alive_sqlite(folder: Path, batch_id: int) -> bool:
    try:
        fd = os.open(folder / f"{batch_id}.lease", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)


def _leased_postgres(conn: Connection) -> set[int]:
    """Ids of the batches whose lease a live session of this database holds."""
    return set(conn.execute(text(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = :k "
        "AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ), {"k": LEASE_KEY}).scalars())


@dataclass(frozen=True)
class Interrupted:
    """A batch whose importer is gone: nothing of it was kept, so importing the file again is safe."""

    batch_id: int
    file_name: str
    started_at: dt.datetime
    user: str | None


def orphaned(engine: Engine) -> list[Interrupted]:
    """Running batches whose lease nobody holds (read-only)."""
    b = _batches.c
    with engine.connect() as conn:
        rows = conn.execute(select(b.id, b.file_name, b.started_at, b.user_name)
                            .where(b.status == "running").order_by(b.id)).all()
        if not rows:
            return []
        if conn.dialect.name == "postgresql":
            alive = _leased_postgres(conn)
        else:
            folder = lock_dir(engine)
            alive = {r.id for r in rows if _alive_sqlite(folder, r.id)}
    return [Interrupted(r.id, r.file_name, r.started_at, r.user_name) for r in rows if r.id not in alive]


def settle_interrupted(engine: Engine, actor: str = "system") -> list[Interrupted]:
    """Mark every running batch whose importer is gone as ``interrupted`` (rows 0, finished now) and
    return them. Run on every start of the app and the CLI; a live import is never touched."""
    dead = orphaned(engine)
    if not dead:
        return []
    settled = []
    with engine.connect() as conn, brief_lock_wait(conn, 2000), write_transaction(conn) as tx:
        for batch in dead:
            changed = tx.execute(update(_batches).where(_batches.c.id == batch.batch_id,
                                                        _batches.c.status == "running").values(
                status="interrupted", finished_at=dt.datetime.now(), rows_imported=0, rows_duplicate=0)).rowcount
            if changed:
                settled.append(batch)
                audit.record(tx, actor, "import_interrupted", target=f"batch:{batch.batch_id}", rows=0,
                             detail={"batch_id": batch.batch_id})
    if engine.dialect.name == "sqlite":
        for batch in settled:
            with suppress(OSError):
                (lock_dir(engine) / f"{batch.batch_id}.lease").unlink()
    return settled


def settle_on_start(engine: Engine, actor: str = "system") -> list[Interrupted]:
    """``settle_interrupted`` for the start of the app or the CLI: a database that cannot be written now
    (read-only, locked) is left as it is, to be settled by a later start; reading must still work."""
    try:
        return settle_interrupted(engine, actor)
    except (SQLAlchemyError, OSError) as exc:
        if classify(exc, engine.url.render_as_string(hide_password=False)) is None:
            raise
        return []


class _Queue:
    """The SQLite import queue's lock file, held by the import in progress."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.holder: Holder | None = None
        self._written = 0.0

    def read_holder(self) -> Holder:
        try:
            return Holder(**json.loads(os.pread(self.fd, 4096, 0) or b"{}"))
        except (ValueError, TypeError):  # the holder is rewriting it this instant
            return Holder()

    def write_holder(self, holder: Holder) -> None:
        data = json.dumps(asdict(holder), ensure_ascii=False).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def progress(self, frac: float) -> None:
        """The holder's progress for waiting importers, at most once a second."""
        if self.holder is None or time.monotonic() - self._written < 1.0:
            return
        self.holder.progress = round(frac, 3)
        self.write_holder(self.holder)
        self._written = time.monotonic()


class Slot:
    """This import's place at the head of the queue: how long it waited, and where it tells its progress."""

    def __init__(self, queue: _Queue | None = None, waited_s: float = 0.0) -> None:
        self.queue, self.waited_s = queue, waited_s

    def progress(self, frac: float) -> None:
        if self.queue is not None:
            self.queue.progress(frac)


def wait_limit_s() -> float:
    """The ``import_wait_minutes`` setting in seconds (a bad value: the default)."""
    try:
        return max(0.0, float(get_setting("import_wait_minutes"))) * 60
    except ValueError:
        return float(next(s.default for s in SETTINGS if s.name == "import_wait_minutes")) * 60


@contextmanager
def import_slot(engine: Engine, file_name: str, user: str, *, waiting: Waiting | None = None,
                limit_s: float | None = None) -> Iterator[Slot]:
    """Wait for the SQLite import in progress (telling ``waiting`` about it every ``POLL_S``), then hold
    the queue until the block ends. Raises a ``faults.wait_timeout`` Fault (exit code 4) after
    ``limit_s`` seconds (default: the ``import_wait_minutes`` setting). On Postgres: no queue."""
    if engine.dialect.name != "sqlite":
        yield Slot()
        return
    limit = wait_limit_s() if limit_s is None else limit_s
    folder = lock_dir(engine)
    folder.mkdir(exist_ok=True)
    queue = _Queue(folder / "queue.lock")
    held = False
    try:
        t0 = time.monotonic()
        while not (held := _try_lock(queue.fd)):
            waited = time.monotonic() - t0
            holder = queue.read_holder()
            if waited >= limit:
                raise Fault("faults.wait_timeout", exit_code=EXIT_BUSY, minutes=f"{limit / 60:g}",
                            file=holder.file or "?", user=holder.user or "?", started=holder.started or "?")
            if waiting:
                waiting(holder, waited)
            time.sleep(POLL_S)
        now = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
        queue.holder = Holder(file=file_name, user=user, started=now, host=socket.gethostname(), pid=os.getpid())
        queue.write_holder(queue.holder)
        yield Slot(queue, time.monotonic() - t0)
    finally:
        if held:
            with suppress(OSError):
                os.ftruncate(queue.fd, 0)
        os.close(queue.fd)  # drops the lock: the next import in the queue goes
