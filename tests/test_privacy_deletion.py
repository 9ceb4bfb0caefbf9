"""Deletion on request removes every row of one customer, keeps the rollup right and audits without personal data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, Engine, func, select

from cem_core.db.models import AuditEntry, Customer, Rating, Response, ResponseRollup
from cem_core.demo.generator import load_demo
from cem_core.privacy import deletion
from cem_core.privacy.deletion import customer_preview, delete_customers, find_customers, register_eraser

C, R, RT = Customer.__table__, Response.__table__, Rating.__table__


def _victim(engine: Engine) -> dict:
    """A demo customer with an email, several responses and attribute ratings."""
    stmt = (select(C.c.id, C.c.customer_key, C.c.name, C.c.phone, C.c.email, func.count(RT.c.response_id).label("n"))
            .join(R, R.c.customer_id == C.c.id).join(RT, RT.c.response_id == R.c.id)
            .where(C.c.email.like("%@%")).group_by(C.c.id, C.c.customer_key, C.c.name, C.c.phone, C.c.email)
            .order_by(func.count(RT.c.response_id).desc(), C.c.id).limit(1))
    with engine.connect() as conn:
        return dict(conn.execute(stmt).mappings().one())


def _count(engine: Engine, stmt) -> int:
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


@pytest.fixture
def demo_db(engine: Engine) -> Engine:
    load_demo(engine, rows=400)
    return engine


def test_find_by_phone_email_and_id(demo_db: Engine) -> None:
    v = _victim(demo_db)
    phone = v["phone"]
    spaced = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"  # typed differently from how it was stored
    assert find_customers(demo_db, kind="phone", value=spaced) == [v["id"]]
    assert find_customers(demo_db, kind="email", value=f"  {v['email'].upper()} ") == [v["id"]]
    assert find_customers(demo_db, kind="id", value=v["customer_key"]) == [v["id"]]
    assert find_customers(demo_db, kind="phone", value="no digits") == []
    preview = customer_preview(demo_db, [v["id"]], unmask=False)
    assert preview.loc[0, "phone"] == f"{phone[:3]}****{phone[-4:]}" and preview.loc[0, "responses"] >= 1
    assert v["email"] not in preview.to_string()


def test_deletion_removes_every_row_and_audits_without_personal_data(demo_db: Engine) -> None:
    v = _victim(demo_db)
    responses = _count(demo_db, select(func.count()).select_from(R).where(R.c.customer_id == v["id"]))
    total = _count(demo_db, select(func.count()).select_from(R))
    erased: list[tuple[list[int], int]] = []

    def eraser(conn: Connection, customer_ids: list[int], response_ids: list[int]) -> int:
        erased.append((customer_ids, len(response_ids)))
        return len(customer_ids)

    register_eraser("test_tokens", eraser)
    try:
        ids = find_customers(demo_db, kind="email", value=v["email"])
        result = delete_customers(demo_db, ids, actor="dpo", matched_by="email")
    finally:
        deletion._ERASERS.pop("test_tokens")
    assert erased == [([v["id"]], responses)]
    assert (result.customers, result.responses) == (1, responses)
    assert result.tables["ratings"] == v["n"] and result.tables["test_tokens"] == 1
    assert _count(demo_db, select(func.count()).select_from(C).where(C.c.id == v["id"])) == 0
    assert _count(demo_db, select(func.count()).select_from(R).where(R.c.customer_id == v["id"])) == 0
    orphan = select(func.count()).select_from(RT).where(RT.c.response_id.not_in(select(R.c.id)))
    assert _count(demo_db, orphan) == 0
    assert _count(demo_db, select(func.count()).select_from(R)) == total - responses
    rollup_total = _count(demo_db, select(func.coalesce(func.sum(ResponseRollup.__table__.c.responses), 0)))
    assert rollup_total == total - responses  # the overview's rollup no longer counts them
    a = AuditEntry.__table__.c
    with demo_db.connect() as conn:
        entry = conn.execute(select(a.actor, a.action, a.target, a.rows, a.detail).order_by(a.id.desc())).first()
    assert entry.actor == "dpo" and entry.action == "delete_customer" and entry.rows == responses
    logged = " ".join(str(x) for x in entry)
    for personal in (v["phone"], v["email"], v["name"], v["customer_key"]):
        assert personal not in logged
    assert json.loads(entry.detail)["customers"] == 1
    assert find_customers(demo_db, kind="email", value=v["email"]) == []


def test_deleting_nothing_changes_nothing(demo_db: Engine) -> None:
    before = _count(demo_db, select(func.count()).select_from(R))
    assert delete_customers(demo_db, [], actor="dpo", matched_by="phone").responses == 0
    assert _count(demo_db, select(func.count()).select_from(R)) == before
