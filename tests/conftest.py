"""Shared fixtures: real SQLite files and real Postgres databases, migrated and optionally seeded.

Postgres tests are marked ``postgres``. Locally they skip when no server answers; under ``CI=true``
an unreachable server is an error, because CI must run them (``.ci/run`` starts the server).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from cem_core.db import make_engine, migrate
from cem_core.demo.generator import load_demo

pytest_plugins = ["tests.browser_harness"]

PG_ADMIN_URL = os.environ.get("CEM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DEMO_ROWS = 6000


def _pg_available() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Postgres is required under CI but {PG_ADMIN_URL} does not answer")
        pytest.skip("Postgres not reachable")
    return PG_ADMIN_URL


def _create_pg_database(admin_url: str, template: str | None = None) -> tuple[str, str]:
    name = f"cem_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """URL of a brand-new, empty Postgres database, dropped afterwards."""
    name, url = _create_pg_database(pg_server)
    yield url
    _drop_pg_database(pg_server, name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cem.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process. Running every migration costs ~1-1.5 s per
    database; a copy of this file costs milliseconds, and the tests that exercise the migrations
    themselves start from ``sqlite_url`` instead."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(sqlite_url: str, migrated_sqlite_template: Path) -> Iterator[Engine]:
    """A SQLite file at head: a copy of the migrated template (the backup API copies a consistent file
    whatever the journal mode), then ``migrate`` as the app would run it (a no-op at head)."""
    source = sqlite3.connect(migrated_sqlite_template)
    target = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with target:
        source.backup(target)
    source.close()
    target.close()
    engine = make_engine(sqlite_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_pg_template(pg_server: str) -> Iterator[str]:
    """A Postgres database migrated to head once per test process, the template of ``pg_engine``'s
    databases (``CREATE DATABASE ... TEMPLATE`` copies it in ~0.1 s instead of ~1.5 s of migrations)."""
    name, url = _create_pg_database(pg_server)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()  # a template must have no open connection while it is copied
    yield name
    _drop_pg_database(pg_server, name)


@pytest.fixture
def pg_engine(pg_server: str, migrated_pg_template: str) -> Iterator[Engine]:
    name, url = _create_pg_database(pg_server, template=migrated_pg_template)
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()
    _drop_pg_database(pg_server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database: once on SQLite, once on Postgres."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with DEMO_ROWS demo responses, built once per session. Tests must not write to it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_demo(engine, rows=DEMO_ROWS)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres database with the same demo rows as ``demo_sqlite_url``."""
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Postgres is required under CI")
        pytest.skip("Postgres not reachable")
    name, url = _create_pg_database(PG_ADMIN_URL)
    engine = make_engine(url)
    migrate(engine)
    load_demo(engine, rows=DEMO_ROWS)
    engine.dispose()
    yield url
    _drop_pg_database(PG_ADMIN_URL, name)


@pytest.fixture
def seeded_app(demo_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app under AppTest pointed at the shared demo database (read-only use)."""
    from tests.pages_harness import point_app_at

    point_app_at(monkeypatch, demo_sqlite_url)
    return demo_sqlite_url
