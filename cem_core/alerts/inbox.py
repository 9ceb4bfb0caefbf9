"""The in-app alert list: what a user may see, what they have not read yet, and how deliveries went."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cem_core.analyze.queries import read_frame
from cem_core.auth.roles import User
from cem_core.db import write_transaction
from cem_core.db.models import Alert, AlertDelivery, AlertRead, AlertRule

_alerts, _rules, _reads = Alert.__table__, AlertRule.__table__, AlertRead.__table__


def visible_rule_ids(engine: Engine, user: User) -> list[int]:
    """Rules whose alerts ``user`` sees: an admin all; others those naming them or one of their departments."""
    with engine.connect() as conn:
        rows = conn.execute(select(_rules.c.id, _rules.c.recipients)).all()
    if user.role == "admin":
        return [r for r, _ in rows]
    out = []
    for rule_id, recipients in rows:
        rec = json.loads(recipients)
        if user.username in rec.get("users", ()) or set(user.departments) & set(rec.get("departments", ())):
            out.append(rule_id)
    return out


def alert_list(engine: Engine, user: User, limit: int = 200) -> pd.DataFrame:
    """The user's alerts, newest first, with the rule's name and whether the user read each."""
    read = select(_reads.c.alert_id).where(_reads.c.username == user.username)
    stmt = (select(_alerts, _rules.c.name.label("rule"), _alerts.c.id.in_(read).label("read"))
            .join(_rules, _rules.c.id == _alerts.c.rule_id)
            .where(_alerts.c.rule_id.in_(visible_rule_ids(engine, user)))
            .order_by(_alerts.c.created_at.desc(), _alerts.c.id.desc()).limit(limit))
    return read_frame(engine, stmt)


def unread_count(engine: Engine, user: User) -> int:
    stmt = (select(func.count()).select_from(_alerts.outerjoin(_reads, and_(
        _reads.c.alert_id == _alerts.c.id, _reads.c.username == user.username)))
            .where(_reads.c.alert_id.is_(None), _alerts.c.rule_id.in_(visible_rule_ids(engine, user))))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def mark_read(engine: Engine, user: User, alert_ids: list[int]) -> None:
    if not alert_ids:
        return
    with write_transaction(engine) as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(_reads).values([{"alert_id": a, "username": user.username} for a in alert_ids])
                     .on_conflict_do_nothing())


def deliveries(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """Latest delivery outcomes (failures are shown on the page)."""
    d = AlertDelivery.__table__
    return read_frame(engine, select(d).order_by(d.c.at.desc(), d.c.id.desc()).limit(limit))
