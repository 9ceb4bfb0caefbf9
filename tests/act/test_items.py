"""The status machine, resolve rules, history, comments, scope and optimistic concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cem_core.act.items import (
    TRANSITIONS,
    ActionError,
    ConflictError,
    add_comment,
    bulk_change,
    change_item,
    scope_of,
)
from cem_core.db.models import ActionComment, ActionEvent, AuditEntry
from cem_core.privacy.deletion import delete_customers, find_customers
from tests.act_data import import_rows, items, row, setup_reference


@pytest.fixture
def item(engine: Engine, tmp_path: Path) -> tuple[Engine, dict]:
    setup_reference(engine)
    import_rows(engine, tmp_path / "a.csv", [row("2026-03-02 10:00", "C1", nps=2, phone="13800000001")])
    (only,) = items(engine)
    return engine, only


def history(engine: Engine, item_id: int) -> list[tuple[str, str, str | None, str | None]]:
    e = ActionEvent.__table__.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(e.actor, e.field, e.old, e.new).where(
            e.item_id == item_id).order_by(e.id))]


def test_full_life_and_history(item) -> None:
    engine, it = item
    out = change_item(engine, it["id"], 1, {"status": "in_progress", "owner": "张经理"}, actor="lead")
    assert out.version == 2 and out.changed == ("first_contact_at", "owner", "status")
    with pytest.raises(ActionError) as err:
        change_item(engine, it["id"], 2, {"status": "resolved"}, actor="lead")
    assert err.value.key == "act.err.needs_root_cause"
    with pytest.raises(ActionError):
        change_item(engine, it["id"], 2, {"status": "resolved", "root_cause": "waiting"}, actor="lead")  # no note
    with pytest.raises(ActionError) as err:
        change_item(engine, it["id"], 2, {"status": "resolved", "root_cause": "nonsense", "resolution_note": "x"},
                    actor="lead")
    assert err.value.key == "act.err.bad_root_cause"
    change_item(engine, it["id"], 2, {"status": "resolved", "root_cause": "waiting",
                                      "resolution_note": "道歉并补偿早餐券"}, actor="lead")
    change_item(engine, it["id"], 3, {"status": "closed"}, actor="admin")
    change_item(engine, it["id"], 4, {"status": "reopened"}, actor="admin")
    (now,) = items(engine)
    assert now["status"] == "reopened" and now["version"] == 5
    assert now["resolved_at"] is None and now["closed_at"] is None and now["first_contact_at"] is not None
    h = history(engine, it["id"])
    fields = [(a, f, o, n) for a, f, o, n in h if f != "first_contact_at"]
    note = "道歉并补偿早餐券"
    assert fields == [("lead", "owner", None, "张经理"), ("lead", "status", "open", "in_progress"),
                      ("lead", "resolution_note", None, note), ("lead", "resolved_at", None, fields[3][3]),
                      ("lead", "root_cause", None, "waiting"), ("lead", "status", "in_progress", "resolved"),
                      ("admin", "closed_at", None, fields[6][3]), ("admin", "status", "resolved", "closed"),
                      ("admin", "closed_at", fields[6][3], None), ("admin", "resolved_at", fields[3][3], None),
                      ("admin", "status", "closed", "reopened")]
    with engine.connect() as conn:
        audited = conn.execute(select(AuditEntry.action).where(AuditEntry.action == "action_change")).all()
    assert len(audited) == 4  # one entry per saved change, none for the refused ones


@pytest.mark.parametrize(("start", "target"), [("open", "closed"), ("open", "reopened"), ("in_progress", "open"),
                                                ("in_progress", "closed")])
def test_illegal_transitions_are_refused(item, start: str, target: str) -> None:
    engine, it = item
    version = 1
    if start == "in_progress":
        version = change_item(engine, it["id"], 1, {"status": "in_progress"}, actor="u").version
    assert target not in TRANSITIONS[start]
    with pytest.raises(ActionError) as err:
        change_item(engine, it["id"], version, {"status": target}, actor="u")
    assert err.value.key == "act.err.transition"
    assert items(engine)[0]["status"] == start
    with pytest.raises(ActionError) as err:
        change_item(engine, it["id"], version, {"status": "done"}, actor="u")
    assert err.value.key == "act.err.bad_status"


def test_second_concurrent_edit_is_told_not_overwritten(item) -> None:
    engine, it = item
    change_item(engine, it["id"], 1, {"owner": "alice"}, actor="alice")  # both read version 1
    with pytest.raises(ConflictError) as err:
        change_item(engine, it["id"], 1, {"owner": "bob"}, actor="bob")
    assert "alice" in err.value.message("en") and "alice" in err.value.message("zh")
    assert items(engine)[0]["owner"] == "alice"
    # The same value as stored is not a conflict: nothing to overwrite.
    assert change_item(engine, it["id"], 1, {"owner": "alice"}, actor="bob").changed == ()


def test_scope_comments_and_bulk(item) -> None:
    engine, it = item
    ops = scope_of(engine, ("operations",))
    with pytest.raises(ActionError) as err:
        change_item(engine, it["id"], 1, {"owner": "x"}, actor="ops-lead", scope=ops)
    assert err.value.key == "act.err.scope"
    with pytest.raises(ActionError):
        add_comment(engine, it["id"], "hello", actor="ops-lead", scope=ops)
    add_comment(engine, it["id"], "已致电，客户不在", actor="cs-lead", scope=scope_of(engine, ("customer_service",)))
    with engine.connect() as conn:
        assert conn.execute(select(ActionComment.body)).scalars().all() == ["已致电，客户不在"]
    done, refused = bulk_change(engine, {it["id"]: 1, 999: 1}, {"owner": "王"}, actor="admin")
    assert [o.version for o in done] == [2] and [e.key for e in refused] == ["act.err.unknown_item"]
    assert items(engine)[0]["owner"] == "王"


def test_deleting_a_customer_on_request_deletes_their_items_history_and_comments(item) -> None:
    engine, it = item
    change_item(engine, it["id"], 1, {"status": "in_progress"}, actor="lead")
    add_comment(engine, it["id"], "客户电话 13800000001 已回访", actor="lead")
    result = delete_customers(engine, find_customers(engine, kind="id", value="C1"), actor="dpo", matched_by="id")
    assert result.tables.get("action_items") == 1 and result.tables.get("action_comments") == 1
    assert items(engine) == [] and history(engine, it["id"]) == []
