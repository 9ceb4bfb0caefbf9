"""Engine creation and schema migration.

SQLite gets WAL (readers do not block the importer), enforced foreign keys (undo relies on cascades),
a busy timeout (two writers wait instead of failing) and ``BEGIN IMMEDIATE`` for transactions we open
ourselves, so an import takes the write lock up front instead of failing half-way on upgrade.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from cem_core.config import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a writer waits for another one's lock before "database is locked"
PG_CONNECT_TIMEOUT_S = 10  # an unreachable Postgres host fails in seconds instead of the OS's minutes


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event below issues the BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: the overview scan stays in memory
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


def sqlite_path(url: str) -> str | None:
    """The file behind a SQLite URL, ``sqlite:///path`` or a URI filename ``sqlite:///file:path?mode=ro&uri=true``
    (None for an in-memory database)."""
    database = make_url(url).database or ""
    database = database.removeprefix("file:").split("?", 1)[0]
    return None if database in ("", ":memory:") else database


def read_only_url(url: str) -> str:
    """A SQLite URL that reads the file as immutable: the only way SQLite reads a WAL database whose
    directory cannot be written (it cannot create the -shm file), and safe exactly then, because nobody
    can write such a database either (no -wal file can be created beside it)."""
    return f"sqlite:///file:{sqlite_path(url)}?immutable=1&uri=true"


def make_engine(url: str | None = None) -> Engine:
    """A new engine for ``url`` (default: the configured URL), with SQLite tuned as described above."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """One shared engine per URL for the process (the app and the CLI)."""
    return make_engine(url or database_url())


@contextmanager
def write_transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """One writer at a time: BEGIN IMMEDIATE on SQLite, an advisory lock on Postgres; commit or roll back.
    Given a Connection (not in a transaction), runs on it and leaves it open."""
    with nullcontext(bind) if isinstance(bind, Connection) else bind.connect() as conn:
        conn.info["write"] = True
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Writers queue on one advisory lock, so explicit id ranges never collide.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7242)")
                yield conn
        finally:
            conn.info.pop("write", None)


@contextmanager
def brief_lock_wait(conn: Connection, ms: int) -> Iterator[None]:
    """On SQLite, let writes on ``conn`` wait at most ``ms`` for another writer's lock instead of
    ``BUSY_TIMEOUT_MS``: for writes that can be done later (settling interrupted imports, the upload's
    audit entry, a write probe) and must not stall a page behind a long import. Use before ``begin``."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection  # outside any transaction: the driver is in autocommit mode
    raw.execute(f"PRAGMA busy_timeout={int(ms)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (idempotent; run by the app and the CLI on start)."""
    command.upgrade(alembic_config(engine), "head")


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("responses")


def sqlite_without_fk_checks(bind: Connection, change: Callable[[], None]) -> None:
    """For a migration that rebuilds SQLite tables: run ``change`` in its own transaction with foreign keys
    off (a PRAGMA inside a transaction is a no-op). With them on, dropping the old ``responses`` table
    would cascade-delete every rating (SQLite's documented procedure for schema changes,
    https://www.sqlite.org/lang_altertable.html#otheralter)."""
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        change()
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN")  # Alembic records the revision in the transaction it believes is open
