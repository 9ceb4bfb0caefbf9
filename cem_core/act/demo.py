"""Action items for the demo data, so the Actions page is alive on first start.

The shipped routing rules run over the demo batch, then each item gets a life that fits its age at the
demo's "present" (the last demo day, 18:00): old items are mostly resolved or closed, recent ones open
or in progress, some were reopened, and a share is past due, in the proportions service teams report
(roughly one in ten cases breaching the SLA). Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import numpy as np
from sqlalchemy import Column, Connection, MetaData, Table, bindparam, select, update

from cem_core.act.calendar import WorkCalendar
from cem_core.act.rules import load_rules, route
from cem_core.db.bulk import insert_columns
from cem_core.db.models import ActionEvent, ActionItem, Response, RootCause

OWNERS = ("王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊")
NOTES = ("已致电客户致歉并补偿", "已与门店沟通整改", "已安排回访，客户表示理解", "流程已调整", "已退款")
#: (max age in days, statuses, probabilities)
LIFE = ((7, ("open", "in_progress", "resolved"), (0.45, 0.35, 0.20)),
        (21, ("open", "in_progress", "resolved", "closed", "reopened"), (0.08, 0.20, 0.45, 0.22, 0.05)),
        (10_000, ("open", "in_progress", "resolved", "closed", "reopened"), (0.02, 0.03, 0.20, 0.72, 0.03)))
PATH = {"open": ("open",), "in_progress": ("open", "in_progress"), "resolved": ("open", "in_progress", "resolved"),
        "closed": ("open", "in_progress", "resolved", "closed"),
        "reopened": ("open", "in_progress", "resolved", "reopened")}


def seed_demo_items(conn: Connection, batch_id: int, seed: int, end: dt.date, since: dt.date | None = None) -> int:
    """Route the demo batch (its responses from ``since`` on, if given) and give its items ages, owners,
    contacts, resolutions and history."""
    present = dt.datetime.combine(end, dt.time(18))
    route(conn, batch_id=batch_id, since=since, now=present)
    return give_lives(conn, batch_id, seed, present)


def give_lives(conn: Connection, batch_id: int, seed: int, present: dt.datetime) -> int:
    """Give the routed items of ``batch_id`` the life that fits their age at ``present`` (also used by
    bench_actions, so the figures are measured over items in every state, not all open)."""
    rules = {r.id: r for r in load_rules(conn)}
    i, r = ActionItem.__table__, Response.__table__
    rows = conn.execute(select(i.c.id, i.c.rule_id, r.c.occurred_at).join(r, r.c.id == i.c.response_id)
                        .where(i.c.batch_id == batch_id).order_by(i.c.id)).all()
    if not rows:
        return 0
    causes = list(conn.execute(select(RootCause.id, RootCause.code).order_by(RootCause.id)).all())
    rng = np.random.default_rng(seed)
    calendar = WorkCalendar()
    updates, events = [], []
    for item_id, rule_id, occurred in rows:
        created = min(occurred + dt.timedelta(hours=float(rng.uniform(0.2, 6))), present)
        rule = rules.get(rule_id)
        due = calendar.add(created, rule.sla_hours, rule.sla_working) if rule else created + dt.timedelta(hours=48)
        age = (present - created).days
        statuses, probs = next((s, p) for limit, s, p in LIFE if age <= limit)
        status = str(rng.choice(statuses, p=probs))
        sla_h = (due - created).total_seconds() / 3600
        # one case in ten runs late: first contact and resolution are stretched past the due time
        late = rng.random() < 0.08
        contact = created + dt.timedelta(hours=float(rng.exponential(0.15 * sla_h)) + (sla_h if late else 0))
        resolved = contact + dt.timedelta(hours=float(rng.exponential(0.12 * sla_h)))
        closed = resolved + dt.timedelta(hours=float(rng.uniform(2, 48)))
        path = PATH[status]
        times = {"in_progress": contact, "resolved": resolved, "closed": closed,
                 "reopened": closed + dt.timedelta(hours=24)}
        if any(times[s] > present for s in path[1:]):  # cannot have happened yet: stay at the last reachable state
            path = tuple(s for s in path if s == "open" or times[s] <= present)
            status = path[-1]
        owner = OWNERS[int(rng.integers(len(OWNERS)))] if status != "open" or rng.random() < 0.3 else None
        cause_id, cause_code = causes[int(rng.integers(len(causes)))] if causes else (None, None)
        done = status in ("resolved", "closed")
        updates.append({"i": item_id, "created": created, "due": due, "status": status, "owner": owner,
                        "contact": contact if status != "open" else None, "resolved": resolved if done else None,
                        "closed": closed if status == "closed" else None, "cause": cause_id if done else None,
                        "note": NOTES[int(rng.integers(len(NOTES)))] if done else None, "version": len(path),
                        "by": owner or "demo", "at": times.get(path[-1], created)})
        for old, new in pairwise(path):
            events.append({"item_id": item_id, "at": times[new], "actor": owner or "demo", "field": "status",
                           "old": old, "new": new})
        if done and cause_code:
            events.append({"item_id": item_id, "at": resolved, "actor": owner or "demo", "field": "root_cause",
                           "old": None, "new": cause_code})
    _write_lives(conn, updates)
    _write_events(conn, events)
    return len(rows)


def _write_events(conn: Connection, events: list[dict[str, object]]) -> None:
    """The items' histories: one COPY on Postgres (an INSERT per event through the driver's pipeline took
    15 s of 50 for 210k events of a 200k demo, issue 17); SQLite keeps SQLAlchemy's own datetime text."""
    if not events:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(ActionEvent.__table__.insert(), events)
        return
    insert_columns(conn, ActionEvent.__table__, {
        "item_id": np.array([e["item_id"] for e in events], dtype=np.int64),
        "at": np.array([e["at"] for e in events], dtype="datetime64[us]"),
        **{c: np.array([e[c] for e in events], dtype=object) for c in ("actor", "field", "old", "new")}})


#: (update key, column, Postgres array type) of what ``give_lives`` writes on each item
_LIFE_COLUMNS = (("created", "created_at", "timestamp"), ("due", "due_at", "timestamp"), ("status", "status", "text"),
                 ("owner", "owner", "text"), ("contact", "first_contact_at", "timestamp"),
                 ("resolved", "resolved_at", "timestamp"), ("closed", "closed_at", "timestamp"),
                 ("cause", "root_cause_id", "bigint"), ("note", "resolution_note", "text"),
                 ("version", "version", "int"), ("at", "updated_at", "timestamp"), ("by", "updated_by", "text"))


def _write_lives(conn: Connection, updates: list[dict[str, object]]) -> None:
    """One UPDATE on Postgres, so the close-the-loop rollup's statement trigger runs once (one UPDATE per
    item, each running it, took minutes at 100k items), from a temporary table filled by one COPY (binding
    the values as 13 arrays spent 6 s of a 200k demo's 46 s in the driver turning datetimes into array
    text, issue 17); executemany on SQLite, whose row triggers cost the same either way."""
    i = ActionItem.__table__
    if conn.dialect.name != "postgresql":
        conn.execute(update(i).where(i.c.id == bindparam("i")).values(
            **{col: bindparam(key) for key, col, _ in _LIFE_COLUMNS}), updates)
        return
    columns = ", ".join(f"{key} {kind}" for key, _, kind in _LIFE_COLUMNS)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE demo_lives (i bigint, {columns}) ON COMMIT DROP")
    lives = Table("demo_lives", MetaData(), Column("i"), *(Column(key) for key, _, _ in _LIFE_COLUMNS))
    insert_columns(conn, lives, {"i": np.array([u["i"] for u in updates], dtype=np.int64),
                                 **{key: np.array([u[key] for u in updates], dtype=object)
                                    for key, _, _ in _LIFE_COLUMNS}})
    sets = ", ".join(f"{col} = v.{key}" for key, col, _ in _LIFE_COLUMNS)
    conn.exec_driver_sql(f"UPDATE action_items AS a SET {sets} FROM demo_lives AS v WHERE a.id = v.i")
    conn.exec_driver_sql("DROP TABLE demo_lives")
