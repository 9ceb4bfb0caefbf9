"""Issue 11 point 4: the PII hash key lives outside the database, which keeps only its fingerprint; a start with
another key is refused (CLI and app) until ``pii rekey`` re-hashes the stored identities."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.cli import main
from cem_core.db.models import AppSetting, Customer
from cem_core.db.settings_store import get_value, set_value
from cem_core.ingest.load import import_file
from cem_core.privacy.hashing import (
    FINGERPRINT_SETTING,
    PII_KEY_SETTING,
    PiiKeyError,
    fingerprint,
    hash_key,
    key_file,
    keyed_hash,
    normalise_phone,
)
from tests.fixtures.ingest_files import write_csv
from tests.pages_harness import open_page, point_app_at
from tests.test_cli import run

HEADER = ["提交时间", "推荐度", "手机号", "邮箱"]


def settings(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(AppSetting.key, AppSetting.value)).all())


def customers(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Customer)).scalar_one()


def people(path: Path, rows: int = 6, shift: int = 0) -> Path:
    return write_csv(path, HEADER, [[f"2024-05-{1 + i:02d} 10:{i + shift:02d}", str(i % 11), f"1390000{i:04d}",
                                     f"p{i}@example.com"] for i in range(rows)])


@pytest.fixture
def key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "pii.key"
    monkeypatch.setenv("CEM_PII_KEY_FILE", str(path))
    monkeypatch.delenv("CEM_PII_HASH_KEY", raising=False)
    return path


def test_generated_key_is_a_private_file_and_the_database_keeps_only_a_fingerprint(engine: Engine,
                                                                                 key_path: Path) -> None:
    key = hash_key(engine)
    assert key_path.read_text().strip().encode() == key and len(key) == 64
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    stored = settings(engine)
    assert stored[FINGERPRINT_SETTING] == fingerprint(key) and PII_KEY_SETTING not in stored
    assert key.decode() not in json.dumps(stored)
    assert hash_key(engine) == key  # stable


def test_default_key_file_sits_beside_the_sqlite_file(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.delenv("CEM_PII_KEY_FILE", raising=False)
    monkeypatch.delenv("CEM_PII_HASH_KEY", raising=False)
    path = key_file(sqlite_engine)
    assert path == Path(sqlite_engine.url.database + ".pii_key")
    assert hash_key(sqlite_engine) == path.read_text().strip().encode()


def test_a_key_kept_in_the_database_by_an_earlier_release_moves_to_the_file(engine: Engine, key_path: Path) -> None:
    legacy = "ab" * 32
    set_value(engine, PII_KEY_SETTING, legacy)
    assert hash_key(engine) == legacy.encode()
    assert key_path.read_text().strip() == legacy
    stored = settings(engine)
    assert PII_KEY_SETTING not in stored and stored[FINGERPRINT_SETTING] == fingerprint(legacy.encode())


def test_another_key_is_refused_then_rekey_keeps_customers_whole(engine: Engine, key_path: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    assert import_file(engine, people(tmp_path / "a.csv"), user="t").rows_imported == 6
    old = hash_key(engine)
    assert customers(engine) == 6
    monkeypatch.setenv("CEM_LANGUAGE", "en")
    monkeypatch.setenv("CEM_PII_HASH_KEY", "a-new-key-set-after-the-first-start")
    with pytest.raises(PiiKeyError) as refused:
        hash_key(engine)
    assert "CEM_PII_HASH_KEY" in refused.value.message("en") and "pii rekey" in refused.value.message("en")
    assert "拒绝启动" in refused.value.message("zh")
    assert main(["stats", "--json"], engine=engine) == 2
    assert "not the key this database's phone and email hashes were made with" in capsys.readouterr().err
    assert main(["pii", "rekey", "--old-key", "wrong"], engine=engine) == 1
    assert main(["pii", "rekey", "--old-key", old.decode()], engine=engine) == 0
    new = hash_key(engine)
    assert new == b"a-new-key-set-after-the-first-start"
    with engine.connect() as conn:
        hashes = set(conn.execute(select(Customer.phone_hash)).scalars())
    phone = normalise_phone("13900000003")  # the matching form (E.164)
    assert keyed_hash(new, phone) in hashes and keyed_hash(old, phone) not in hashes
    again = import_file(engine, people(tmp_path / "b.csv", shift=30), user="t")
    assert again.rows_imported == 6 and customers(engine) == 6  # the same people, matched under the new key


def test_missing_key_file_is_refused_not_regenerated(engine: Engine, key_path: Path) -> None:
    hash_key(engine)
    key_path.unlink()
    with pytest.raises(PiiKeyError) as refused:
        hash_key(engine)
    assert str(key_path) in refused.value.message("en")
    assert not key_path.exists()
    assert get_value(engine, FINGERPRINT_SETTING)


def test_cli_process_refuses_a_changed_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEM_PII_KEY_FILE", raising=False)
    monkeypatch.delenv("CEM_PII_HASH_KEY", raising=False)
    monkeypatch.setenv("CEM_LANGUAGE", "en")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "migrate").returncode == 0
    assert (tmp_path / "cli.db.pii_key").exists()
    monkeypatch.setenv("CEM_PII_HASH_KEY", "changed-key")
    refused = run(url, "stats")
    assert refused.returncode == 2 and "CEM_PII_HASH_KEY" in refused.stderr and "refused" in refused.stderr


def test_app_refuses_a_changed_key_with_a_translated_message(sqlite_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    point_app_at(monkeypatch, sqlite_url)
    monkeypatch.delenv("CEM_PII_KEY_FILE", raising=False)
    monkeypatch.setenv("CEM_LANGUAGE", "en")
    monkeypatch.setenv("CEM_PII_HASH_KEY", "first-key")
    assert run(sqlite_url, "migrate").returncode == 0
    monkeypatch.setenv("CEM_PII_HASH_KEY", "second-key")
    at = open_page(None, None)
    assert any("not the key this database's phone and email hashes were made with" in e.value for e in at.error)
