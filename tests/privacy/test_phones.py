"""Phones in E.164: the vectorised rule agrees with libphonenumber, the region is a setting, and migration
0008 merges stored customers that the new rule matches, keeping every response."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alembic import command
from sqlalchemy import Engine, select, update

from cem_core.db import alembic_config, make_engine, migrate
from cem_core.db.models import Customer, Response
from cem_core.ingest.load import import_file
from cem_core.privacy.hashing import hash_key, keyed_hash
from cem_core.privacy.phones import canonical_phone, canonical_phones, legacy_phone
from tests.fixtures.ingest_files import write_csv
from tests.ingest.test_load import counts, rollup_total


def _forms(rng: np.random.Generator, n: int) -> list[str]:
    """Random mainland mobiles and landlines, written the ways people write them."""
    out = []
    for _ in range(n):
        mobile = "1" + str(rng.integers(3, 10)) + "".join(map(str, rng.integers(0, 10, 9)))
        land = "0" + str(rng.integers(1, 10)) + "".join(map(str, rng.integers(0, 10, int(rng.integers(9, 11)))))
        out += [mobile, "+86" + mobile, "0086" + mobile, "86" + mobile, "0" + mobile,
                f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                land, f"({land[:3]}) {land[3:]}", f"{land[:4]}-{land[4:]}"]
    return out


def test_fast_rule_gives_what_libphonenumber_gives() -> None:
    values = [*_forms(np.random.default_rng(7), 300), "+44 20 7946 0958", "12345", "１３８１２３４５６７８", "",
              "+1 (202) 555-0123", "400-820-8820", "abc"]
    fast = canonical_phones(pd.Series([*values, None], dtype=object), "CN").tolist()
    assert fast == [*(canonical_phone(v, "CN") for v in values), None]
    assert fast[:7] == ["+86" + values[0]] * 7  # seven spellings of one mobile number


def test_region_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pd.Series(["(202) 555-0123", "13812345678"], dtype=object)
    assert canonical_phones(values).tolist()[1] == "+8613812345678"  # default CN
    monkeypatch.setenv("CEM_PHONE_REGION", "US")
    assert canonical_phones(values).tolist()[0] == "+12025550123"


@pytest.mark.parametrize("url", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_migration_0008_merges_customers_the_new_rule_matches(url: str, request: pytest.FixtureRequest,
                                                             tmp_path: Path) -> None:
    """Four customers stored before 0008 under the old rule: one number in two spellings, the same number
    with its own customer id, and another number. After 0008: the two spellings are one customer, the one
    with a customer id stays apart, and every response is kept."""
    engine: Engine = make_engine(request.getfixturevalue(url))
    try:
        migrate(engine)  # rows are imported by today's code, at head; then the schema steps back before 0008
        rows = [["2024-03-05", "", "13900000001", "9"], ["2024-03-06", "", "13900000002", "8"],
                ["2024-03-07", "K1", "13900000003", "7"], ["2024-03-08", "", "13900000004", "6"],
                ["2024-03-09", "", "13900000002", "5"]]
        import_file(engine, write_csv(tmp_path / "a.csv", ["日期", "会员号", "手机", "推荐度"], rows), user="u")
        key = hash_key(engine)
        command.downgrade(alembic_config(engine), "0008-1")
        old = {"13900000001": "13812345678", "13900000002": "+8613812345678", "13900000003": "013812345678",
               "13900000004": "13700000000"}
        with engine.begin() as conn:  # what the old rule stored: the normal form as phone, its hash
            for cid, phone in conn.execute(select(Customer.id, Customer.phone)).all():
                stored = legacy_phone(old[phone])
                conn.execute(update(Customer).where(Customer.id == cid).values(
                    phone=stored, phone_hash=keyed_hash(key, stored)))
        before, total = counts(engine), rollup_total(engine)
        assert before["customers"] == 4 and before["responses"] == 5
        migrate(engine)
        after = counts(engine)
        assert after["responses"] == 5 and after["customers"] == 3 and rollup_total(engine) == total
        with engine.connect() as conn:
            owners = conn.execute(select(Response.customer_id).order_by(Response.id)).scalars().all()
            hashes = dict(conn.execute(select(Customer.id, Customer.phone_hash)).all())
        assert owners[0] == owners[1] == owners[4] and len({owners[0], owners[2], owners[3]}) == 3
        assert hashes[owners[0]] == keyed_hash(key, "+8613812345678") == hashes[owners[2]]
        # a file imported now finds the merged customer
        later = write_csv(tmp_path / "b.csv", ["日期", "手机", "推荐度"], [["2024-04-01", "138 1234 5678", "10"]])
        import_file(engine, later, user="u")
        with engine.connect() as conn:
            last = conn.execute(select(Response.customer_id).order_by(Response.id.desc()).limit(1)).scalar_one()
        assert last == owners[0]
    finally:
        engine.dispose()
