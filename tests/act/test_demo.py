"""The demo data brings action items in every state, with a realistic share past due."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from cem_core.act.figures import loop_figures
from cem_core.act.items import STATUSES
from cem_core.demo.generator import DEFAULT_END, load_demo, remove_demo


def test_demo_items_in_every_state(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        states = dict(conn.execute(text("SELECT status, count(*) FROM action_items GROUP BY status")).all())
        unresolved_without_cause = conn.execute(text(
            "SELECT count(*) FROM action_items WHERE status IN ('resolved', 'closed') "
            "AND (root_cause_id IS NULL OR resolution_note IS NULL)")).scalar_one()
        history = conn.execute(text("SELECT count(DISTINCT item_id) FROM action_events")).scalar_one()
    assert set(states) == set(STATUSES) and all(n >= 5 for n in states.values()), states
    assert unresolved_without_cause == 0 and history > 0
    present = dt.datetime.combine(DEFAULT_END, dt.time(18))
    total = loop_figures(demo_engine, "en", now=present).iloc[-1]
    assert 3 <= total["breach_rate"] <= 30, total
    assert 0 < total["open_overdue"] < 0.2 * total["opened"]
    assert 60 <= total["closure_rate"] <= 95


def test_removing_the_demo_removes_its_items(sqlite_engine: Engine) -> None:
    load_demo(sqlite_engine, rows=1500)
    remove_demo(sqlite_engine)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action_items")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM action_events")).scalar_one() == 0
