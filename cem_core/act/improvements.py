"""Outer loop: improvement actions that fix a systemic cause, and whether the fix moved the score.

An improvement is tied to an anchor: a touchpoint (code), a driver (attribute code, typically from the
key-driver matrix's "concentrate here" quadrant, see ``suggestions``) or a text topic (through
``signals``). Its metric (NPS, CSAT top-2-box %, CES mean) is computed over the responses the anchor
covers - a touchpoint's responses, the responses rating the driver, the responses mentioning the topic -
in the ``window`` days before the start ("before") and from the start on ("after"), with the number of
answers so a small "after" is not over-read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, func, select, update

from cem_core import audit
from cem_core.act.items import ActionError
from cem_core.act.signals import topic_predicate
from cem_core.analyze.drivers import key_drivers
from cem_core.analyze.queries import Filters
from cem_core.db import write_transaction
from cem_core.db.models import Attribute, Department, ImprovementAction, Rating, Response, Touchpoint

ANCHORS = ("touchpoint", "driver", "topic")
METRICS = ("nps", "csat", "ces")
STATES = ("planned", "doing", "done")
_imp = ImprovementAction.__table__
_r = Response.__table__


@dataclass(frozen=True)
class MetricShift:
    before: float | None
    before_n: int
    after: float | None
    after_n: int


def suggestions(engine: Engine, lang: str) -> pd.DataFrame:
    """Drivers in the "concentrate here" quadrant (important, performing below the average): code, name."""
    table = key_drivers(engine, Filters(), lang=lang).table
    return table[table["quadrant"] == "concentrate"][["code", "name", "importance", "performance"]]


def _anchor(engine: Engine, kind: str, code: str) -> ColumnElement[bool]:
    if kind == "touchpoint":
        return _r.c.touchpoint_id.in_(select(Touchpoint.id).where(Touchpoint.code == code))
    if kind == "driver":
        return _r.c.id.in_(select(Rating.response_id).join(Attribute, Attribute.id == Rating.attribute_id)
                           .where(Attribute.code == code))
    return topic_predicate(_r, [code])


def _metric(metric: str) -> tuple[ColumnElement, ColumnElement]:
    """(value, n) aggregates over responses for a metric."""
    if metric == "nps":
        n = func.count(_r.c.nps)
        value = 100.0 * (func.sum(case((_r.c.nps >= 9, 1), else_=0)) - func.sum(case((_r.c.nps <= 6, 1), else_=0)))
        return value / func.nullif(n, 0), n
    if metric == "csat":
        n = func.count(_r.c.csat)
        return 100.0 * func.sum(case((_r.c.csat >= 4, 1), else_=0)) / func.nullif(n, 0), n
    return func.avg(_r.c.ces), func.count(_r.c.ces)


def metric_shift(engine: Engine, kind: str, code: str, metric: str, start: dt.date, window: int = 90
                 ) -> MetricShift:
    """The metric over the anchor's responses before ``start`` (``window`` days) and from ``start`` on."""
    value, n = _metric(metric)
    anchor = _anchor(engine, kind, code)
    with engine.connect() as conn:
        before = conn.execute(select(value, n).where(anchor, _r.c.occurred_date >= start - dt.timedelta(days=window),
                                                     _r.c.occurred_date < start)).one()
        after = conn.execute(select(value, n).where(anchor, _r.c.occurred_date >= start)).one()
    as_float = lambda v: None if v is None else float(v)  # noqa: E731
    return MetricShift(as_float(before[0]), int(before[1]), as_float(after[0]), int(after[1]))


def create_improvement(engine: Engine, *, title: str, anchor_kind: str, anchor_code: str, actor: str,
                       department_code: str | None = None, owner: str | None = None, metric: str = "nps",
                       started_on: dt.date | None = None, due_on: dt.date | None = None) -> int:
    if not title.strip() or anchor_kind not in ANCHORS or not anchor_code or metric not in METRICS:
        raise ActionError("act.imp.err.invalid")
    with write_transaction(engine) as conn:
        dept = conn.execute(select(Department.id).where(Department.code == department_code)).scalar() \
            if department_code else None
        new_id = int(conn.execute(_imp.insert().values(
            title=title.strip(), anchor_kind=anchor_kind, anchor_code=anchor_code, department_id=dept,
            owner=owner or None, metric=metric, started_on=started_on or dt.date.today(), due_on=due_on,
            progress=0, status="planned", created_by=actor, created_at=dt.datetime.now())).inserted_primary_key[0])
        audit.record(conn, actor, "improvement_create", target=f"improvement:{new_id}", rows=1,
                     detail={"anchor": f"{anchor_kind}:{anchor_code}", "metric": metric})
    return new_id


def update_improvement(engine: Engine, improvement_id: int, *, actor: str, progress: int | None = None,
                       status: str | None = None, owner: str | None = None, note: str | None = None,
                       scope: Collection[int] | None = None) -> None:
    if (progress is not None and not 0 <= progress <= 100) or (status is not None and status not in STATES):
        raise ActionError("act.imp.err.invalid")
    values = {k: v for k, v in {"progress": progress, "status": status, "owner": owner, "note": note}.items()
              if v is not None}
    with write_transaction(engine) as conn:
        dept = conn.execute(select(_imp.c.department_id).where(_imp.c.id == improvement_id)).first()
        if dept is None:
            raise ActionError("act.imp.err.unknown", item=improvement_id)
        if scope is not None and dept[0] not in scope:
            raise ActionError("act.err.scope", item=improvement_id)
        conn.execute(update(_imp).where(_imp.c.id == improvement_id).values(**values))
        audit.record(conn, actor, "improvement_update", target=f"improvement:{improvement_id}", rows=1,
                     detail={"fields": sorted(values)})


def improvements(engine: Engine, *, scope: Collection[int] | None = None, window: int = 90) -> pd.DataFrame:
    """Every improvement (of the scope's departments, or without one) with its metric before and after."""
    stmt = select(_imp).order_by(_imp.c.status, _imp.c.due_on, _imp.c.id)
    if scope is not None:
        stmt = stmt.where(_imp.c.department_id.in_(list(scope)) | _imp.c.department_id.is_(None))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).mappings().all(), columns=[c.name for c in _imp.c])
    shifts = [metric_shift(engine, k, c, m, s, window) for k, c, m, s in zip(
        frame["anchor_kind"], frame["anchor_code"], frame["metric"], frame["started_on"], strict=True)]
    for field in ("before", "before_n", "after", "after_n"):
        frame[field] = pd.to_numeric(pd.Series([getattr(s, field) for s in shifts], dtype=object), errors="coerce")
    frame["change"] = frame["after"] - frame["before"]
    return frame
