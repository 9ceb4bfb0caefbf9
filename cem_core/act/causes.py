"""The editable list of root-cause categories. A category in use is deactivated, never deleted, so
resolved items keep their cause."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select, update

from cem_core import audit
from cem_core.act.items import ActionError
from cem_core.db import write_transaction
from cem_core.db.models import RootCause

_t = RootCause.__table__
COLUMNS = ["code", "name_zh", "name_en", "active"]


def root_causes(engine: Engine, active_only: bool = False) -> pd.DataFrame:
    stmt = select(_t.c.code, _t.c.name_zh, _t.c.name_en, _t.c.active).order_by(_t.c.id)
    if active_only:
        stmt = stmt.where(_t.c.active.is_(True))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=COLUMNS)


def save_root_causes(engine: Engine, frame: pd.DataFrame, *, actor: str) -> None:
    """Upsert by code; codes missing from ``frame`` are deactivated."""
    rows = [r for r in frame[COLUMNS].to_dict("records") if str(r["code"] or "").strip()]
    for r in rows:
        r["code"] = str(r["code"]).strip()
        if not str(r["name_zh"] or "").strip() or not str(r["name_en"] or "").strip():
            raise ActionError("act.cause.err.names", code=r["code"])
    if len({r["code"] for r in rows}) != len(rows):
        raise ActionError("act.cause.err.duplicate")
    with write_transaction(engine) as conn:
        known = set(conn.execute(select(_t.c.code)).scalars())
        for r in rows:
            values = {"name_zh": str(r["name_zh"]).strip(), "name_en": str(r["name_en"]).strip(),
                      "active": bool(r["active"])}
            if r["code"] in known:
                conn.execute(update(_t).where(_t.c.code == r["code"]).values(**values))
            else:
                conn.execute(_t.insert().values(code=r["code"], **values))
        gone = known - {r["code"] for r in rows}
        if gone:
            conn.execute(update(_t).where(_t.c.code.in_(gone)).values(active=False))
        audit.record(conn, actor, "action_root_causes", target="root_causes", rows=len(rows))
