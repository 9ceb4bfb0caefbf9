"""Close-the-loop figures equal an independent pandas computation on the same items. SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from cem_core.act.figures import actions_version, loop_figures, weekly_trend
from cem_core.act.items import change_item, root_cause_ids
from cem_core.db import write_transaction
from cem_core.ingest.undo import undo_batch
from cem_core.privacy.deletion import delete_customers
from tests.act_data import import_rows, row, setup_reference

NOW = dt.datetime(2026, 3, 30, 12, 0)


def build(engine: Engine, tmp_path: Path) -> None:
    setup_reference(engine)
    first = [row(f"2026-03-0{1 + i % 9} 10:00", f"C{i}", nps=i % 7, comment=f"太差了 {i}", phone=f"1390000{i:04d}",
                 stage="住宿", touchpoint=["客房", "早餐", "无线网络"][i % 3]) for i in range(30)]
    import_rows(engine, tmp_path / "a.csv", first)
    later = [row(f"2026-03-{20 + i % 8} 10:00", f"C{i}", nps=7 + i % 4, phone=f"1390000{i:04d}")
             for i in range(0, 30, 2)]
    import_rows(engine, tmp_path / "b.csv", later)  # later responses: some after resolution -> recovered
    still_unhappy = [row(f"2026-03-{21 + i % 8} 11:00", f"C{i}", nps=5, phone=f"1390000{i:04d}")
                     for i in range(1, 30, 2)]
    import_rows(engine, tmp_path / "c.csv", still_unhappy)  # later, but below 7: not a recovery
    rng = np.random.default_rng(3)
    with write_transaction(engine) as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM action_items ORDER BY id"))]
        for item in ids:
            created = dt.datetime(2026, 3, 1) + dt.timedelta(hours=int(rng.integers(0, 24 * 25)))
            due = created + dt.timedelta(hours=48)
            state = rng.choice(["open", "in_progress", "resolved", "closed", "reopened"])
            contact = created + dt.timedelta(hours=float(rng.integers(1, 90))) if state != "open" else None
            resolved = created + dt.timedelta(hours=float(rng.integers(2, 120))) if state in ("resolved", "closed") \
                else None
            conn.execute(text("UPDATE action_items SET created_at=:c, due_at=:d, status=:s, first_contact_at=:f, "
                              "resolved_at=:r WHERE id=:i"),
                         {"c": created, "d": due, "s": str(state), "f": contact, "r": resolved, "i": item})


def expected(engine: Engine, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    with engine.connect() as conn:
        items = pd.read_sql(text("SELECT * FROM action_items"), conn)
        depts = pd.read_sql(text("SELECT id, code FROM departments"), conn)
        resp = pd.read_sql(text("SELECT id, customer_id, nps, occurred_at FROM responses"), conn)
    for c in ("created_at", "due_at", "first_contact_at", "resolved_at"):
        items[c] = pd.to_datetime(items[c], format="ISO8601")
    resp["occurred_at"] = pd.to_datetime(resp["occurred_at"], format="ISO8601")
    items = items[(items.created_at >= pd.Timestamp(date_from)) & (items.created_at < pd.Timestamp(date_to)
                                                                   + pd.Timedelta(days=1))]
    items = items.merge(depts.rename(columns={"id": "department_id", "code": "department_code"}))
    items = items.merge(resp[["id", "nps"]].rename(columns={"id": "response_id"}), how="left")

    def one(g: pd.DataFrame) -> dict[str, object]:
        done = g.status.isin(["resolved", "closed"])
        breached = g.due_at.notna() & ((g.resolved_at > g.due_at) | (g.resolved_at.isna() & (g.due_at < NOW)))
        contact = (g.first_contact_at - g.created_at).dt.total_seconds() / 3600
        det = g[(g.nps <= 6) & g.resolved_at.notna() & g.customer_id.notna()]
        recovered = {c for c, at in zip(det.customer_id, det.resolved_at, strict=True)
                     if ((resp.customer_id == c) & (resp.nps >= 7) & (resp.occurred_at > at)).any()}
        return {"opened": len(g), "done": int(done.sum()), "closure_rate": 100 * done.mean(),
                "median_contact_h": contact.median(), "breach_rate": 100 * breached.sum() / g.due_at.notna().sum(),
                "open_overdue": int((g.status.isin(["open", "in_progress", "reopened"]) & (g.due_at < NOW)).sum()),
                "recoverable": det.customer_id.nunique(), "recovered": len(recovered)}

    rows = [{"department_code": code, **one(g)} for code, g in items.groupby("department_code")]
    rows.append({"department_code": "", **one(items)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("date_from", "date_to"), [(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
                                                    (dt.date(2026, 3, 8), dt.date(2026, 3, 21))])
def test_figures_equal_pandas(engine: Engine, tmp_path: Path, date_from: dt.date, date_to: dt.date) -> None:
    build(engine, tmp_path)
    got = loop_figures(engine, "en", date_from=date_from, date_to=date_to, now=NOW)
    want = expected(engine, date_from, date_to)
    cols = list(want.columns)
    assert got["opened"].iloc[-1] > 20 and got["recovered"].iloc[-1] > 0 and got["open_overdue"].iloc[-1] > 0
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols], check_dtype=False, atol=1e-6)
    trend = weekly_trend(engine, date_from=date_from, date_to=date_to, now=NOW)
    assert trend["opened"].sum() == want["opened"].iloc[-1]
    assert all(w.weekday() == 0 for w in trend["week"])


def test_scope_limits_the_figures(engine: Engine, tmp_path: Path) -> None:
    build(engine, tmp_path)
    with engine.connect() as conn:
        cs = conn.execute(text("SELECT id FROM departments WHERE code = 'customer_service'")).scalar_one()
    got = loop_figures(engine, "zh", scope={cs}, now=NOW)
    assert got["department_code"].tolist() == ["customer_service", ""]
    assert got["opened"].iloc[0] == got["opened"].iloc[1] and got["department"].iloc[0] == "客户服务部"


def assert_equal_pandas(engine: Engine) -> pd.DataFrame:
    """The figures over March equal the pandas computation on the items as they are now; returns them."""
    got = loop_figures(engine, "en", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31), now=NOW)
    want = expected(engine, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    cols = list(want.columns)
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols], check_dtype=False, atol=1e-6)
    return got


def test_figures_follow_changes_undo_and_deletion(engine: Engine, tmp_path: Path) -> None:
    """The rollups the figures read (kept by triggers, ``act.loop_rollup``) follow every writer: status
    changes through the app, the undo of the batch holding the later answers (which takes the recoveries
    away), and the deletion of a customer on request."""
    build(engine, tmp_path)
    before = assert_equal_pandas(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, version FROM action_items ORDER BY id")).all()
        cause = sorted(root_cause_ids(conn))[0]
        later_batch = conn.execute(text("SELECT max(id) FROM import_batches WHERE id < "
                                        "(SELECT max(id) FROM import_batches)")).scalar_one()
        customer = conn.execute(text("SELECT customer_id FROM action_items WHERE customer_id IS NOT NULL "
                                     "ORDER BY id LIMIT 1")).scalar_one()
    steps = {"open": {"status": "in_progress"}, "in_progress": {"status": "resolved", "root_cause": cause,
                                                                "resolution_note": "fixed"},
             "resolved": {"status": "reopened"}}
    changed, versions = 0, [actions_version(engine)]  # the figures' cache key moves with every item change
    for item, status, version in rows:
        if status in steps:
            change_item(engine, item, version, steps[status], actor="lead")
            versions.append(actions_version(engine))
            changed += 1
    assert changed > 5
    after_changes = assert_equal_pandas(engine)
    assert after_changes["done"].iloc[-1] != before["done"].iloc[-1]
    undo_batch(engine, later_batch, "admin")  # no item of its own: the data version (cache.query) covers it
    after_undo = assert_equal_pandas(engine)
    assert after_undo["recovered"].iloc[-1] == 0 < after_changes["recovered"].iloc[-1]
    delete_customers(engine, [customer], actor="admin", matched_by="id")
    versions.append(actions_version(engine))
    after_delete = assert_equal_pandas(engine)
    assert after_delete["opened"].iloc[-1] < after_undo["opened"].iloc[-1]
    assert len(set(versions)) == len(versions)
