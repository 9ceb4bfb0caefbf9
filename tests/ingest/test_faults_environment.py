"""Unwritable, unreachable and refused databases: the CLI exits with the documented code and one line
naming the database (password masked), no traceback; the app shows a translated error page or a
read-only notice and keeps reading.

Tests run as root, which ignores file permissions, so "read-only" is made with ``chattr +i`` (the
immutable attribute binds root too): an immutable file cannot be written, an immutable directory gets
no new files (SQLite's -wal and -shm). Where the filesystem or the container refuses ``chattr`` the
test skips and says so. Disk full is a real tmpfs of 3 MiB, mounted when the test may mount.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT
from cem_core.db import make_engine, migrate
from cem_core.faults import EXIT_NOT_WRITABLE, EXIT_UNREACHABLE, classify
from cem_core.ingest.load import import_file
from tests.fixtures.ingest_files import write_csv
from tests.pages_harness import open_page, point_app_at

CLOSED_PORT_URL = "postgresql+psycopg://postgres:s3cretpw@127.0.0.1:1/cem"


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CEM_DATABASE_URL": url, "CEM_DEMO_ROWS": "0"}
    return subprocess.run([sys.executable, "-m", "cem_core", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single error line: no traceback, nothing else on stderr but progress lines."""
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    if shutil.which("chattr") is None:
        pytest.skip("chattr not installed")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def sqlite_with_rows(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite file in a directory of its own with one imported batch, closed (no -wal/-shm left)."""
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 'cem.db'}"
    engine = make_engine(url)
    migrate(engine)
    import_file(engine, write_csv(tmp_path / "a.csv", ["日期", "推荐度"], [["2024-03-05", "9"], ["2024-03-06", "3"]]),
                user="ops")
    engine.dispose()
    return url, folder


def new_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "b.csv", ["日期", "推荐度"], [["2024-03-07", "10"]])


def test_read_only_file_exit_3_and_reading_still_works(sqlite_with_rows: tuple[str, Path], tmp_path: Path) -> None:
    url, folder = sqlite_with_rows
    with immutable(folder / "cem.db"):
        proc = cli(url, "import", str(new_csv(tmp_path)))
        assert proc.returncode == EXIT_NOT_WRITABLE
        assert one_line(proc) == (f"error: The database {folder / 'cem.db'} is read-only and cannot be written "
                                  "(read-only file, mount or transaction). Data can be viewed, but not imported, "
                                  "undone or changed. Make the file writable for the user running the app and try "
                                  "again.")
        stats = cli(url, "stats", "--json")
        assert stats.returncode == 0 and '"responses": 2' in stats.stdout, stats.stderr


def test_read_only_directory_exit_3_json(sqlite_with_rows: tuple[str, Path], tmp_path: Path) -> None:
    url, folder = sqlite_with_rows
    shutil.rmtree(folder / "cem.db-imports")
    assert not [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm"))]
    with immutable(folder):
        proc = cli(url, "import", str(new_csv(tmp_path)), "--json", "--lang", "zh")
        assert proc.returncode == EXIT_NOT_WRITABLE
        assert one_line(proc).startswith(f"error: 数据库 {folder / 'cem.db'} 所在目录 {folder} 不可写")
        assert '"error": "read_only_dir", "exit_code": 3' in proc.stdout
        stats = cli(url, "stats", "--json")  # reading still works
        assert stats.returncode == 0 and '"responses": 2' in stats.stdout, stats.stderr


def test_missing_directory_that_cannot_be_created_exit_2(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    with immutable(parent):
        proc = cli(f"sqlite:///{parent / 'sub' / 'cem.db'}", "stats")
    assert proc.returncode == EXIT_UNREACHABLE
    assert one_line(proc) == (f"error: The directory {parent / 'sub'} of the database {parent / 'sub' / 'cem.db'} "
                              "does not exist and cannot be created. Check the path in the database_url setting.")


def test_disk_full_exit_3_and_nothing_left(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    # Room for the migrated empty schema (~0.5 MiB, plus its WAL while migrating) but not for the import.
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs CAP_SYS_ADMIN)")
    try:
        url = f"sqlite:///{mnt / 'cem.db'}"
        engine = make_engine(url)
        try:
            migrate(engine)
        finally:
            engine.dispose()  # an open file would keep the tmpfs busy and fail the umount below
        rows = [[f"2024-03-{1 + i % 28:02d}", str(i % 11), "很长的评论" * 20 + str(i)] for i in range(20_000)]
        proc = cli(url, "import", str(write_csv(tmp_path / "big.csv", ["日期", "推荐度", "评论"], rows)))
        assert proc.returncode == EXIT_NOT_WRITABLE, proc.stderr
        assert one_line(proc).startswith(f"error: The disk of the database {mnt / 'cem.db'} is full.")
        stats = cli(url, "stats", "--json")
        assert '"responses": 0' in stats.stdout, stats.stderr  # the import rolled back
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.postgres
def test_unreachable_postgres_exit_2_password_masked() -> None:
    proc = cli(CLOSED_PORT_URL, "import", "nothing.csv")
    line = one_line(proc)
    assert proc.returncode == EXIT_UNREACHABLE
    assert line.startswith("error: Cannot reach the database server postgresql+psycopg://postgres:***@127.0.0.1:1/cem")
    assert "Connection refused" in line and "s3cretpw" not in proc.stderr + proc.stdout


@pytest.mark.postgres
def test_refused_postgres_sign_in_and_missing_database_exit_2(pg_server: str) -> None:
    """The cluster trusts every login from 127.0.0.1, so a wrong password is accepted there; what the
    server refuses is a role that may not log in (NOLOGIN, with a password) and a role or database that
    does not exist. A wrong password is tried on a private password-checking cluster (``password_pg``)."""
    role = f"cem_nologin_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN PASSWORD 'rightpw'"))
    try:
        base = pg_server.rsplit("@", 1)[1]
        proc = cli(f"postgresql+psycopg://{role}:rightpw@{base}", "stats")
        assert proc.returncode == EXIT_UNREACHABLE
        line = one_line(proc)
        assert line.startswith(f"error: The database postgresql+psycopg://{role}:***@{base} refused the sign-in")
        assert "is not permitted to log in" in line and "rightpw" not in proc.stderr
        proc = cli(f"postgresql+psycopg://nosuchrole_x:pw@{base}", "stats")
        assert proc.returncode == EXIT_UNREACHABLE and "refused the sign-in" in one_line(proc)
        missing = base.rsplit("/", 1)[0] + "/no_such_db_cem"
        proc = cli(f"postgresql+psycopg://postgres@{missing}", "stats")
        assert proc.returncode == EXIT_UNREACHABLE and "does not exist on the server" in one_line(proc)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


@pytest.fixture(scope="module")
def password_pg() -> Iterator[str]:
    """A private Postgres cluster that checks passwords (scram-sha-256), since the shared one trusts
    127.0.0.1: initdb and pg_ctl as the ``postgres`` user (initdb refuses root), on a free port."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not bins or shutil.which("runuser") is None:
        pytest.skip("no initdb or runuser to start a password-checking Postgres")
    folder = Path(tempfile.mkdtemp(prefix="cem-pgpw-"))  # pytest's tmp is root-only: postgres could not enter
    (folder / "pw").write_text("rightpw\n")
    shutil.chown(folder, "postgres")
    shutil.chown(folder / "pw", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def as_postgres(*cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)

    as_postgres(str(bins[-1]), "-D", str(folder / "data"), "--auth=scram-sha-256", "--username=postgres",
                f"--pwfile={folder / 'pw'}", "-E", "UTF8")
    pg_ctl = str(bins[-1].with_name("pg_ctl"))
    as_postgres(pg_ctl, "-D", str(folder / "data"), "-w", "-l", str(folder / "log"), "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start")
    try:
        yield f"127.0.0.1:{port}/postgres"
    finally:
        as_postgres(pg_ctl, "-D", str(folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(folder)


@pytest.mark.postgres
def test_wrong_postgres_password_exit_2_password_masked(password_pg: str) -> None:
    proc = cli(f"postgresql+psycopg://postgres:wrongpw@{password_pg}", "import", "nothing.csv")
    assert proc.returncode == EXIT_UNREACHABLE
    line = one_line(proc)
    assert line.startswith(f"error: The database postgresql+psycopg://postgres:***@{password_pg} refused the sign-in")
    assert 'password authentication failed for user "postgres"' in line and "wrongpw" not in proc.stderr
    right = cli(f"postgresql+psycopg://postgres:rightpw@{password_pg}", "migrate")
    assert right.returncode == 0, right.stderr  # the same server takes the right password


def test_wrong_password_text_from_libpq_is_an_authentication_fault() -> None:
    import psycopg

    exc = psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 failed: '
                                   'FATAL:  password authentication failed for user "cem"')
    fault = classify(exc, "postgresql+psycopg://cem:topsecret@10.0.0.5/cem")
    assert fault is not None and fault.kind == "auth_failed" and fault.exit_code == EXIT_UNREACHABLE
    assert "cem:***@10.0.0.5" in fault.message("en") and "topsecret" not in fault.message("en")


@pytest.mark.parametrize("lang,title,start", [
    ("en", "The database cannot be used", "Cannot reach the database server postgresql+psycopg://postgres:***@"),
    ("zh", "无法使用数据库", "无法连接数据库服务器 postgresql+psycopg://postgres:***@"),
])
def test_app_with_unreachable_database_shows_translated_error_page(monkeypatch: pytest.MonkeyPatch, lang: str,
                                                                    title: str, start: str) -> None:
    point_app_at(monkeypatch, CLOSED_PORT_URL)
    at = open_page(None, User("admin", "admin"), lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert at.error[0].value.startswith(start) and "s3cretpw" not in at.error[0].value
    at.run()  # still up on the next rerun
    assert not at.exception and at.title[0].value == title


def test_app_on_read_only_file_says_so_and_still_reads(sqlite_with_rows: tuple[str, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url, folder = sqlite_with_rows
    point_app_at(monkeypatch, url)
    with immutable(folder / "cem.db"):
        home = open_page(None, User("admin", "admin"), "en")  # the router's notice shows on the default page
        assert not home.exception, [e.value for e in home.exception]
        assert home.warning[0].value.startswith(f"Read-only mode: The database {folder / 'cem.db'} is read-only")
        assert not home.error
        at = open_page("pages/imports.py", User("admin", "admin"), "en")
        assert not at.exception, [e.value for e in at.exception]
        assert at.dataframe[0].value["rows_imported"].tolist() == [2]  # reading works
        upload = open_page("pages/upload.py", User("admin", "admin"), "en")
        assert not upload.exception and not [w for w in upload.file_uploader]


def test_app_in_read_only_directory_reads_the_data_and_says_why_it_cannot_write(
        sqlite_with_rows: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url, folder = sqlite_with_rows
    shutil.rmtree(folder / "cem.db-imports")
    point_app_at(monkeypatch, url)
    with immutable(folder):
        home = open_page(None, User("admin", "admin"), "en")
        assert not home.exception, [e.value for e in home.exception]
        assert home.warning[0].value.startswith(f"Read-only mode: The directory {folder} of the database "
                                                f"{folder / 'cem.db'} cannot be written.")
        at = open_page("pages/imports.py", User("admin", "admin"), "en")
        assert not at.exception, [e.value for e in at.exception]
        assert at.dataframe[0].value["rows_imported"].tolist() == [2]
    assert not [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm", "-imports"))]  # nothing written


def test_os_errors_name_the_directory_that_is_missing_or_not_writable(tmp_path: Path) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    with immutable(folder):
        with pytest.raises(OSError) as lock_dir:
            (folder / "cem.db-imports").mkdir()
        with pytest.raises(OSError) as db_dir:
            (folder / "a" / "b").mkdir(parents=True)
    fault = classify(lock_dir.value, f"sqlite:///{folder / 'cem.db'}")
    assert fault is not None and fault.kind == "not_writable" and fault.exit_code == EXIT_NOT_WRITABLE
    fault = classify(db_dir.value, f"sqlite:///{folder / 'a' / 'b' / 'cem.db'}")
    assert fault is not None and fault.kind == "missing_dir" and fault.values["dir"] == str(folder / "a" / "b")


def test_help_documents_the_exit_codes() -> None:
    proc = cli("sqlite:///:memory:", "--help")
    assert proc.returncode == 0
    assert "exit codes:" in proc.stdout and "3  the database or its disk cannot be written" in proc.stdout


@pytest.mark.postgres
def test_read_only_postgres_database_exit_3_and_stats_still_work(pg_url: str, pg_server: str,
                                                                  tmp_path: Path) -> None:
    migrate(make_engine(pg_url))
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    proc = cli(pg_url, "import", str(new_csv(tmp_path)))
    assert proc.returncode == EXIT_NOT_WRITABLE
    assert one_line(proc).startswith(f"error: The database {pg_url} is read-only and cannot be written")
    stats = cli(pg_url, "stats", "--json")
    assert stats.returncode == 0 and '"responses": 0' in stats.stdout, stats.stderr
