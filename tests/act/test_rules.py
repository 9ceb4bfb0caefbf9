"""Routing rules: every condition kind, order, on/off, one item per response and department, inside the
import's transaction, undo, and a preview equal to the backfill. SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from cem_core.act import rules as rules_mod
from cem_core.act.calendar import WorkCalendar
from cem_core.act.items import ActionError, change_item
from cem_core.act.rules import Rule, backfill, load_rules, match_counts, preview, save_rules
from cem_core.db import write_transaction
from cem_core.db.models import ActionItem, AuditEntry
from cem_core.ingest import load as load_mod
from cem_core.ingest.errors import ImportFailed
from cem_core.ingest.undo import undo_batch
from tests.act_data import import_rows, items, row, setup_reference

ROWS = [
    row("2026-03-02 10:00", "C1", nps=3, csat=2, ces=2, comment="前台等了半小时，太慢", phone="13800000001"),
    row("2026-03-02 11:00", "C2", nps=5, csat=3, ces=4, comment="", phone=""),  # detractor, no contact
    row("2026-03-03 12:00", "C3", nps=9, csat=5, ces=6, comment="Breakfast was great", phone="13800000003",
        stage="住宿", touchpoint="早餐", channel="微博", region="北京", product="套房", segment="普通"),
    row("2026-03-04 09:00", "C4", nps=8, csat=4, ces=5, comment="wifi slow but ok", phone="",
        stage="住宿", touchpoint="无线网络", channel="短信调研", region="广州", product="大床房", segment="普通"),
    row("2026-03-05 09:00", "C5", nps=2, csat=1, ces=1, comment="房间很脏 dirty room", phone="13800000005",
        stage="住宿", touchpoint="客房", region="北京"),
]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    setup_reference(engine)
    return engine


def by_response_dept(engine: Engine) -> set[tuple[str, str, str]]:
    """(customer row comment prefix, department, kind) of every item."""
    with engine.connect() as conn:
        comments = dict(conn.execute(text("SELECT id, customer_id FROM responses")).all())
        keys = dict(conn.execute(text("SELECT id, customer_key FROM customers")).all())
    return {(keys[comments[i["response_id"]]], i["dept"], i["kind"]) for i in items(engine)}


def test_shipped_defaults_route_an_import(loaded: Engine, tmp_path: Path) -> None:
    before = dt.datetime.now().replace(microsecond=0)
    report = import_rows(loaded, tmp_path / "a.csv", ROWS)
    assert report.actions_created == 4
    # Detractors with a phone -> customer service call-back; negative comments -> the touchpoint's owner.
    assert by_response_dept(loaded) == {("C1", "customer_service", "callback"), ("C5", "customer_service", "callback"),
                                        ("C1", "operations", "review"), ("C5", "operations", "review")}
    got = items(loaded)
    callback = next(i for i in got if i["kind"] == "callback")
    assert callback["status"] == "open" and callback["priority"] == "high" and callback["version"] == 1
    assert callback["due_at"] - callback["created_at"] == dt.timedelta(hours=48)
    assert callback["created_at"] >= before
    review = next(i for i in got if i["kind"] == "review")
    assert review["due_at"] == WorkCalendar().add(review["created_at"], 45, working=True)
    with loaded.connect() as conn:
        detail = conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "import")).scalar_one()
    assert '"actions_created": 4' in detail


CONDITIONS = [
    ({"nps": [0, 6]}, {"C1", "C2", "C5"}),
    ({"csat": [4, 5]}, {"C3", "C4"}),
    ({"ces": [1, 2]}, {"C1", "C5"}),
    ({"sentiment": ["negative"]}, {"C1", "C5"}),  # text analysis of the comment; C2 has none
    ({"sentiment": ["positive"]}, {"C3"}),
    ({"sentiment": ["neutral"]}, {"C4"}),  # "wifi slow but ok": the clause after "but" decides
    ({"topics": ["cleanliness"]}, {"C5"}),
    ({"topics": ["breakfast", "check_in"]}, {"C1", "C3"}),
    ({"stages": ["stay"]}, {"C3", "C4", "C5"}),
    ({"touchpoints": ["breakfast", "wifi"]}, {"C3", "C4"}),
    ({"channels": ["weibo"]}, {"C3"}),
    ({"regions": ["北京"]}, {"C3", "C5"}),
    ({"products": ["套房"]}, {"C3"}),
    ({"segments": ["普通"]}, {"C3", "C4"}),
    ({"keywords": ["SLOW", "脏"]}, {"C4", "C5"}),
    ({"keywords": ["100%"]}, set()),  # LIKE wildcards are escaped
    ({"has_contact": True}, {"C1", "C3", "C5"}),
    ({"has_comment": True}, {"C1", "C3", "C4", "C5"}),
    ({"nps": [0, 6], "regions": ["北京"]}, {"C5"}),  # all conditions must hold
    ({"topics": ["no_such_topic"]}, set()),
]


@pytest.mark.parametrize(("conditions", "expected"), CONDITIONS,
                         ids=lambda v: str(sorted(v) if isinstance(v, set) else v)[:40])  # sets: a stable id
def test_each_condition_kind(loaded: Engine, tmp_path: Path, conditions: dict, expected: set[str]) -> None:
    save_rules(loaded, [], actor="admin")  # no rules during the import
    import_rows(loaded, tmp_path / "a.csv", ROWS)
    rule = Rule("probe", conditions, department_code="marketing", kind="review")
    assert match_counts(loaded, [rule]) == {0: len(expected)}
    save_rules(loaded, [rule], actor="admin")
    backfill(loaded, actor="admin")
    assert {k for k, _d, _k in by_response_dept(loaded)} == expected


def test_sentiment_and_topic_follow_the_stored_text_analysis(loaded: Engine, tmp_path: Path) -> None:
    save_rules(loaded, [], actor="admin")
    import_rows(loaded, tmp_path / "a.csv", ROWS)
    with write_transaction(loaded) as conn:  # an admin's re-analysis changed C4's label and topics
        conn.execute(text("UPDATE response_text SET label = 'negative', topics = '|wifi:negative|' WHERE "
                          "response_id = (SELECT r.id FROM responses r JOIN customers c ON c.id = r.customer_id "
                          "WHERE c.customer_key = 'C4')"))
    rules = [Rule("neg", {"sentiment": ["negative"]}), Rule("wifi", {"topics": ["wifi"]}),
             Rule("wi", {"topics": ["wi"]})]  # a topic code is matched whole, not as a prefix
    assert match_counts(loaded, rules) == {0: 3, 1: 1, 2: 0}


def test_order_on_off_and_one_item_per_department(loaded: Engine, tmp_path: Path) -> None:
    first = Rule("first", {"nps": [0, 6]}, department_code="sales", priority="high")
    second = Rule("second", {"nps": [0, 10]}, department_code="sales", priority="low")
    off = Rule("off", {"nps": [0, 10]}, department_code="finance", enabled=False)
    owner = Rule("owner", {"nps": [0, 4]}, department_code=None)
    save_rules(loaded, [first, second, off, owner], actor="admin")
    with loaded.connect() as conn:
        assert [r.name for r in load_rules(conn)] == ["first", "second", "off", "owner"]
    import_rows(loaded, tmp_path / "a.csv", ROWS)
    got = items(loaded)
    sales = [i for i in got if i["dept"] == "sales"]
    assert len(sales) == 5  # one per response, whichever rule matched first
    assert sorted(i["priority"] for i in sales) == ["high"] * 3 + ["low"] * 2
    assert not [i for i in got if i["dept"] == "finance"]
    assert {i["dept"] for i in got if i["rule_id"] == owner.id} == {"operations"}  # C1 check-in, C5 room
    # Routing again over stored data adds nothing: still one item per response and department.
    assert backfill(loaded, actor="admin").total == 0
    with loaded.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ActionItem)).scalar_one() == 7


def test_a_failed_import_leaves_no_items(loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def route_then_fail(conn, batch_id):  # the real routing ran in the import's transaction, then it fails
        rules_mod.route_batch(conn, batch_id)
        seen.append(conn.execute(select(func.count()).select_from(ActionItem)).scalar_one())
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_mod, "route_batch", route_then_fail)
    with pytest.raises(ImportFailed):
        import_rows(loaded, tmp_path / "a.csv", ROWS)
    assert seen == [4]
    assert items(loaded) == []


def test_undo_removes_untouched_items_and_keeps_worked_ones(loaded: Engine, tmp_path: Path) -> None:
    report = import_rows(loaded, tmp_path / "a.csv", ROWS)
    worked = items(loaded)[0]
    change_item(loaded, worked["id"], 1, {"status": "in_progress", "owner": "王经理"}, actor="lead")
    undo_batch(loaded, report.batch_id, "admin")
    left = items(loaded)
    assert [i["id"] for i in left] == [worked["id"]]
    assert left[0]["source_undone"] and left[0]["response_id"] is None and left[0]["status"] == "in_progress"
    with loaded.connect() as conn:
        detail = conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "undo")).scalar_one()
    assert '"items_removed": 3' in detail and '"items_kept": 1' in detail


def test_preview_equals_backfill(loaded: Engine, tmp_path: Path) -> None:
    save_rules(loaded, [], actor="admin")
    import_rows(loaded, tmp_path / "a.csv", ROWS)
    defaults = [Rule("cb", {"nps": [0, 6], "has_contact": True}, department_code="customer_service"),
                Rule("neg", {"sentiment": ["negative"], "has_comment": True, "has_touchpoint": True},
                     department_code=None, kind="review", sla_hours=45, sla_working=True),
                Rule("all", {}, department_code="customer_service")]
    save_rules(loaded, defaults, actor="admin")
    shown = preview(loaded)
    assert items(loaded) == []  # the preview wrote nothing
    assert shown.total == 7
    done = backfill(loaded, actor="admin")
    assert done.created == shown.created and len(items(loaded)) == shown.total
    assert preview(loaded, since=dt.date(2026, 3, 4)).total == 0


def test_rule_validation() -> None:
    with pytest.raises(ActionError) as err:
        Rule("x", {"nps": [5, 11]}).validate()
    assert err.value.key == "act.rule.err.range"
    with pytest.raises(ActionError):
        Rule("x", {"colour": ["red"]}).validate()
    with pytest.raises(ActionError):
        Rule("x", {}, sla_hours=0).validate()
