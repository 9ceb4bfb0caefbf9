"""Migration 0007 re-keys stored rows from their stored values: a file imported before the upgrade, imported
again after it, adds no row (issue 11 point 4), on SQLite and Postgres; and 0016 re-keys the rows of the
customers 0008 merged, so that holds for them too."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text, update

from cem_core.db import alembic_config, make_engine, migrate
from cem_core.db.models import Customer, Response
from cem_core.demo.generator import load_demo
from cem_core.ingest import rekey
from cem_core.ingest.load import import_file
from cem_core.privacy.hashing import hash_key, keyed_hash
from cem_core.privacy.phones import legacy_phone
from tests.fixtures.ingest_files import write_csv
from tests.ingest.test_load import counts

HEADER = ["提交时间", "推荐度", "满意度", "意见", "手机号", "邮箱", "客户ID", "门店", "渠道", "服务态度", "消费金额"]


def rows(n: int) -> list[list[str]]:
    """Customers known by phone, by email, by id or not at all; attribute ratings; spend with cents."""
    out = []
    for i in range(n):
        who = i % 4
        out.append([f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}", str(i % 11), str(1 + i % 5),
                    f"意见 {i}" if i % 3 else "", f"139{i % 40:08d}" if who == 0 else "",
                    f"u{i % 30}@example.com" if who == 1 else "", f"C{i % 25}" if who == 2 else "", "上海",
                    "微信小程序" if i % 2 else "WeChat mini-program", str(1 + i % 5) if i % 5 else "",
                    f"{i * 7.25:.2f}" if i % 2 else ""])
    return out


def store_old_style_keys(engine: Engine) -> None:
    """What an import before 0007 left: 128-bit hex keys that the new definition does not produce (the
    migration never reads them, so their exact old form does not matter)."""
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT r.id FROM responses r JOIN import_batches b ON b.id = r.batch_id WHERE NOT b.is_demo"))]
        for i in ids:
            conn.execute(text("UPDATE responses SET row_key = :k WHERE id = :i"),
                         {"k": hashlib.md5(f"old-{i}".encode()).hexdigest(), "i": i})


@pytest.mark.parametrize("url", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_reimport_after_rekeying_adds_nothing(url: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    engine = make_engine(request.getfixturevalue(url))
    try:
        migrate(engine)
        load_demo(engine, rows=300, industry="hotel", seed=2, end=dt.date(2024, 6, 30))
        data = rows(120)
        first = import_file(engine, write_csv(tmp_path / "march.csv", HEADER, data), user="u")
        assert first.status == "done" and first.rows_imported == 120
        # A database as the release before 0007 left it: its rows carry the old keys, and it stands at the
        # revision before 0007 (whose downgrade changes nothing). Importing needs today's schema (later
        # migrations add tables the importer fills), hence this order rather than building it at 0006.
        store_old_style_keys(engine)
        command.downgrade(alembic_config(engine), "0007-1")
        before = counts(engine)
        migrate(engine)
        assert counts(engine) == before  # re-keying keeps every row, rating and customer
        with engine.connect() as conn:
            demo_keys = conn.execute(text("SELECT COUNT(*) FROM responses WHERE row_key LIKE 'demo-%'")).scalar()
            old = conn.execute(text("SELECT row_key FROM responses WHERE row_key NOT LIKE 'demo-%'")).scalars()
            assert demo_keys == 300
            assert not {hashlib.md5(f"old-{i}".encode()).hexdigest() for i in range(1, 1000)} & set(old)
        # the same rows again, in another file (reversed, semicolons: another content hash, same responses)
        again = import_file(engine, write_csv(tmp_path / "march_again.csv", HEADER, data[::-1], sep=";"), user="u")
        assert again.status == "done", again.message("en")
        assert (again.rows_imported, again.rows_duplicate) == (0, 120)
        assert counts(engine) == before
        changed = [[*r[:1], "9" if r[1] != "9" else "8", *r[2:]] for r in data[:5]]
        more = import_file(engine, write_csv(tmp_path / "changed.csv", HEADER, changed), user="u")
        assert more.rows_imported == 5  # a changed score is another response
    finally:
        engine.dispose()


MERGE_HEADER = ["提交时间", "推荐度", "满意度", "意见", "手机号", "服务态度"]


def merge_rows(phone: str, days: range) -> list[list[str]]:
    return [[f"2024-05-{d:02d} 10:00", str(d % 11), str(1 + d % 5), f"意见 {d}", phone, str(1 + d % 5)] for d in days]


def stale_keys(engine: Engine) -> list[int]:
    """Imported responses whose stored key is not the key their stored values give."""
    with engine.connect() as conn:
        return [i for ids, stored, keys in rekey.slices(conn)
                for i, old, new in zip(ids, stored, keys, strict=True) if old != new]


@pytest.mark.parametrize("url", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_reimport_after_0008_merged_the_customer_adds_nothing(url: str, request: pytest.FixtureRequest,
                                                              tmp_path: Path) -> None:
    """One person, two files imported before the upgrade, the phone spelled ``+86 138 1234 5678`` in one and
    ``13812345678`` in the other: the old rule made two customers, 0007 keyed each file's rows with its own
    customer, 0008 merged them. Re-importing either file (phones spelled a third way) must add 0 rows; without
    0016 the merged customer's rows were keyed with the id 0008 deleted, and came in again."""
    engine = make_engine(request.getfixturevalue(url))
    try:
        migrate(engine)
        first, second = merge_rows("+86 138 1234 5678", range(1, 9)), merge_rows("13812345678", range(8, 15))
        # Rows are imported by today's code at head; the second file under another number, which becomes a
        # second customer of the same number below (what the rule before 0008 made of its spelling).
        stand_in = [[*r[:4], "13900000009", r[5]] for r in second]
        assert import_file(engine, write_csv(tmp_path / "a.csv", MERGE_HEADER, first), user="u").rows_imported == 8
        assert import_file(engine, write_csv(tmp_path / "b.csv", MERGE_HEADER, stand_in), user="u").rows_imported == 7
        key = hash_key(engine)
        command.downgrade(alembic_config(engine), "0007-1")
        with engine.begin() as conn:  # the customers as the old rule stored them: two, one number
            customers = conn.execute(select(Customer.id).order_by(Customer.id)).scalars().all()
            for cid, spelling in zip(customers, ("+86 138 1234 5678", "13812345678"), strict=True):
                stored = legacy_phone(spelling)
                conn.execute(update(Customer).where(Customer.id == cid).values(
                    phone=stored, phone_hash=keyed_hash(key, stored)))
        command.upgrade(alembic_config(engine), "0007")  # keys of the pre-0008 state, from 0007 itself
        with engine.connect() as conn:
            assert conn.execute(select(func.count(func.distinct(Response.customer_id)))).scalar_one() == 2
        before = counts(engine)
        migrate(engine)  # 0008 merges the two customers, 0016 re-keys the merged one's rows
        assert counts(engine)["responses"] == before["responses"] == 15
        assert counts(engine)["customers"] == 1
        # 2024-05-08 is in both files: one response, stored once per customer before the merge. One of the
        # two rows holds the key, the other keeps its old one (the unique index allows no second holder).
        assert len(stale_keys(engine)) == 1
        for name, rows, phone in (("a2.csv", first, "+86-138-1234-5678"), ("b2.csv", second, "138 1234 5678")):
            again = import_file(engine, write_csv(tmp_path / name, MERGE_HEADER, [[*r[:4], phone, r[5]] for r in rows]),
                                user="u")
            assert again.status == "done" and (again.rows_imported, again.rows_duplicate) == (0, len(rows)), name
        assert counts(engine)["responses"] == 15
    finally:
        engine.dispose()
