"""Migration 0007 re-keys stored rows from their stored values: a file imported before the upgrade, imported
again after it, adds no row (issue 11 point 4), on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from cem_core.db import alembic_config, make_engine, migrate
from cem_core.demo.generator import load_demo
from cem_core.ingest.load import import_file
from tests.fixtures.ingest_files import write_csv
from tests.test_ingest_load import counts

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
