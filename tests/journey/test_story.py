"""One customer's story: lookup, timeline and the action items their feedback raised, masked and scoped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from cem_core.db import write_transaction
from cem_core.db.models import ActionItem, Base, Department, Response, RootCause
from cem_core.journey import story
from tests.journey_data import load_journeys

PHONE = "13912345678"
STEPS = {"j1": [("arrival/check_in", 2, None), ("stay/wifi", 1, None), ("checkout/checkout", 4, 6)]}
OTHER = {"j9": [("arrival/check_in", 5, None), ("stay/room", 5, None), ("checkout/checkout", 5, 10)]}


def _item(conn, response_id: int | None, customer_id: int | None, dept: str, status: str, note: str | None,
          created: dt.datetime) -> None:
    ids = dict(conn.execute(select(Department.code, Department.id)).all())
    cause = conn.execute(select(RootCause.id).order_by(RootCause.id)).scalars().first()
    r = Response.__table__.c
    tp = conn.execute(select(r.touchpoint_id).where(r.id == response_id)).scalar() if response_id else None
    conn.execute(ActionItem.__table__.insert().values(
        response_id=response_id, customer_id=customer_id, touchpoint_id=tp, department_id=ids[dept], kind="callback",
        priority="high", status=status, created_at=created, due_at=created + dt.timedelta(days=2), root_cause_id=cause,
        resolution_note=note, version=1))


def _setup(engine: Engine) -> int:
    load_journeys(engine, STEPS, customer={"customer_key": "C-1", "name": "Wang Fang", "phone": PHONE})
    load_journeys(engine, OTHER, customer={"customer_key": "C-9", "name": "Li Lei", "phone": "13800000009"})
    cid = story.find(engine, "phone", PHONE)[0]
    r = Response.__table__.c
    with write_transaction(engine) as conn:
        mine = conn.execute(select(r.id).where(r.customer_id == cid).order_by(r.journey_step)).scalars().all()
        theirs = conn.execute(select(r.id, r.customer_id).where(r.customer_id != cid)).first()
        t0 = dt.datetime(2025, 3, 2, 10)
        # linked by response only (no customer id on the item), by customer only, and another customer's item
        _item(conn, mine[1], None, "operations", "resolved", f"called back on {PHONE}", t0)
        _item(conn, None, cid, "customer_service", "open", None, t0 + dt.timedelta(hours=1))
        _item(conn, theirs.id, theirs.customer_id, "operations", "open", "not this customer", t0)
    return cid


def test_timeline_lists_the_customers_action_items_masked_and_scoped(engine: Engine) -> None:
    cid = _setup(engine)
    masked = story.actions(engine, cid, "en", unmask=False)
    assert list(masked.columns) == list(story.ACTIONS)
    assert list(masked["status"]) == ["resolved", "open"]  # oldest first; the other customer's item is not here
    assert masked["touchpoint"].iloc[0] == "Wi-Fi" and masked["root_cause"].notna().all()
    assert masked["due_at"].notna().all() and masked["department"].notna().all()
    assert PHONE not in masked["resolution_note"].iloc[0] and PHONE[-4:] in masked["resolution_note"].iloc[0]
    shown = story.actions(engine, cid, "en", unmask=True)
    assert PHONE in shown["resolution_note"].iloc[0]
    lead = story.actions(engine, cid, "en", unmask=False, departments=("operations",))
    assert list(lead["status"]) == ["resolved"]
    assert story.actions(engine, cid, "en", False, departments=("marketing",)).empty


def test_customer_without_items_has_an_empty_list(engine: Engine) -> None:
    load_journeys(engine, STEPS, customer={"customer_key": "C-1", "name": "Wang Fang", "phone": PHONE})
    cid = story.find(engine, "id", "C-1")[0]
    assert story.find(engine, "phone", "+86 139 1234 5678") == [cid]
    frame = story.actions(engine, cid, "zh", unmask=False)
    assert frame.empty and list(frame.columns) == list(story.ACTIONS)
    timeline = story.timeline(engine, cid, "en", unmask=False)
    assert list(timeline["journey_step"]) == [1, 2, 3]
    assert story.journeys(engine, timeline)["peak"].tolist() == [1]


def test_warm_up_reads_nothing_and_writes_nothing(engine: Engine) -> None:
    """The page's warm-up (run once per process) runs on both databases and leaves every table as it was."""
    load_journeys(engine, STEPS, customer={"customer_key": "C-1", "name": "Wang Fang", "phone": PHONE})
    with engine.connect() as conn:
        before = {t: conn.execute(select(func.count()).select_from(Base.metadata.tables[t])).scalar_one()
                  for t in ("audit_log", "responses", "action_items")}
    story.warm_up(engine)
    with engine.connect() as conn:
        after = {t: conn.execute(select(func.count()).select_from(Base.metadata.tables[t])).scalar_one()
                 for t in before}
    assert after == before and before["responses"] > 0
