"""The demo data brings action items in every state, with a realistic share past due."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from cem_core.act.figures import loop_figures
from cem_core.act.items import STATUSES
from cem_core.db import make_engine
from cem_core.demo.generator import DEFAULT_END, load_demo, remove_demo
from tests.act.test_loop_rollup import kept, rebuilt

#: per item: its status, version, last change, and its history as written (status steps, root causes)
HISTORY = ("SELECT i.id, i.status, i.version, i.updated_at, i.root_cause_id, "
           "(SELECT count(*) FROM action_events e WHERE e.item_id = i.id AND e.field = 'status'), "
           "(SELECT max(e.at) FROM action_events e WHERE e.item_id = i.id AND e.field = 'status'), "
           "(SELECT e.new FROM action_events e WHERE e.item_id = i.id AND e.field = 'status' ORDER BY e.at DESC "
           "LIMIT 1), (SELECT count(*) FROM action_events e WHERE e.item_id = i.id AND e.field = 'root_cause') "
           "FROM action_items i ORDER BY i.id")


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


@pytest.mark.postgres
def test_demo_lives_on_postgres_match_their_history_and_the_trigger_kept_rollups(demo_pg_url: str) -> None:
    """Postgres writes the items' lives and histories by COPY (a temporary table, then one UPDATE): each
    item's history leads to its status at its last change, to the microsecond, and the rollups the
    triggers kept equal a rebuild from the items."""
    pg = make_engine(demo_pg_url)
    try:
        with pg.connect() as conn:
            rows = conn.execute(text(HISTORY)).all()
        assert {r.status for r in rows} == set(STATUSES)
        for _id, status, version, updated, cause, steps, last_at, last, causes in rows:
            assert steps == version - 1
            assert (last, last_at) == ((status, updated) if steps else (None, None))
            assert causes == (1 if status in ("resolved", "closed") else 0) and (cause is None) == (causes == 0)
        assert kept(pg) == rebuilt(pg)
    finally:
        pg.dispose()
