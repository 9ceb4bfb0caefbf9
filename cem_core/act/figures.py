"""Close-the-loop figures, per department and in total, computed in the database.

Definitions (items created in the period; ``now`` is when the figures are asked for):

- opened: items created. closure rate: share of them resolved or closed, in percent.
- median time to first contact: hours from creation to the first contact, over items contacted.
- SLA breach rate: items resolved after their due time, or still unresolved past it, as a share of the
  items that have a due time. open overdue: items still open (open, in progress, reopened) past due.
- recovered detractors: customers with a resolved item from a detractor response (NPS 0-6) who later
  answered again at NPS 7 or higher (a later response, after the item was resolved); the rate is over
  the customers with such a resolved item.
- weekly trend: per ISO week (Monday) of creation: opened, done, breached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)

from cem_core.act.items import DONE_STATUSES, OPEN_STATUSES
from cem_core.db.models import ActionItem, Department, Response
from cem_core.i18n import name_col

_i = ActionItem.__table__
_r = Response.__table__
COLUMNS = ["department_code", "department", "opened", "done", "closure_rate", "median_contact_h", "with_due",
           "breached", "breach_rate", "open_overdue", "recoverable", "recovered", "recovery_rate"]


def hours_between(conn: Connection, later: ColumnElement, earlier: ColumnElement) -> ColumnElement[float]:
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def week_of(conn: Connection, col: ColumnElement) -> ColumnElement:
    """The Monday of ``col``'s week, as a date."""
    if conn.dialect.name == "postgresql":
        return cast(func.date_trunc("week", col), Date)
    return func.date(col, "weekday 0", "-6 days")


def _period(date_from: dt.date | None, date_to: dt.date | None, scope: Collection[int] | None) -> list:
    where = []
    if date_from is not None:
        where.append(_i.c.created_at >= dt.datetime.combine(date_from, dt.time()))
    if date_to is not None:
        where.append(_i.c.created_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
    if scope is not None:
        where.append(_i.c.department_id.in_(list(scope)))
    return where


def _breached(now: dt.datetime) -> ColumnElement[bool]:
    return and_(_i.c.due_at.is_not(None), or_(_i.c.resolved_at > _i.c.due_at,
                                              and_(_i.c.resolved_at.is_(None), _i.c.due_at < now)))


def _median(conn: Connection, where: list, by_department: bool) -> dict[int | None, float]:
    hours = hours_between(conn, _i.c.first_contact_at, _i.c.created_at)
    part = [_i.c.department_id] if by_department else []
    ranked = select((_i.c.department_id if by_department else literal(None)).label("d"), hours.label("h"),
                    func.row_number().over(partition_by=part, order_by=hours).label("rn"),
                    func.count().over(partition_by=part).label("n")).where(
        *where, _i.c.first_contact_at.is_not(None)).subquery()
    stmt = select(ranked.c.d, func.avg(ranked.c.h)).where(
        ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])).group_by(ranked.c.d)
    return {d: float(h) for d, h in conn.execute(stmt)}


def loop_figures(engine: Engine, lang: str, *, scope: Collection[int] | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per department with items, then a total row (``department_code`` = "")."""
    now = now or dt.datetime.now()
    where = _period(date_from, date_to, scope)
    src = _r.alias("src")
    later = _r.alias("later")
    recovered_cond = exists().where(later.c.customer_id == src.c.customer_id, later.c.nps >= 7,
                                    later.c.occurred_at > _i.c.resolved_at)
    detractor_resolved = and_(src.c.nps <= 6, _i.c.resolved_at.is_not(None), _i.c.customer_id.is_not(None))

    additive = [func.count().label("opened"),
                func.sum(case((_i.c.status.in_(DONE_STATUSES), 1), else_=0)).label("done"),
                func.sum(case((_i.c.due_at.is_not(None), 1), else_=0)).label("with_due"),
                func.sum(case((_breached(now), 1), else_=0)).label("breached"),
                func.sum(case((and_(_i.c.status.in_(OPEN_STATUSES), _i.c.due_at < now), 1), else_=0)
                         ).label("open_overdue")]
    # Recovery counts distinct customers, so its total is not the sum of the departments: a second, small
    # query over the resolved detractor items only.
    recovery = [func.count(distinct(_i.c.customer_id)).label("recoverable"),
                func.count(distinct(case((recovered_cond, _i.c.customer_id)))).label("recovered")]
    d = Department.__table__
    with engine.connect() as conn:
        per = conn.execute(select(d.c.id, d.c.code, d.c[name_col(lang)], *additive)
                           .select_from(_i.join(d, d.c.id == _i.c.department_id)).where(*where)
                           .group_by(d.c.id, d.c.code, d.c[name_col(lang)]).order_by(d.c.code)).all()
        rec_src = _i.join(src, src.c.id == _i.c.response_id)
        rec_by = {row[0]: row[1:] for row in conn.execute(
            select(_i.c.department_id, *recovery).select_from(rec_src).where(*where, detractor_resolved)
            .group_by(_i.c.department_id))}
        rec_all = conn.execute(select(*recovery).select_from(rec_src).where(*where, detractor_resolved)).one()
        med_by = _median(conn, where, True)
        med_all = _median(conn, where, False)
    rows = [[code, name, *vals, *rec_by.get(did, (0, 0)), med_by.get(did)] for did, code, name, *vals in per]
    totals = [sum(r[i] or 0 for r in per) for i in range(3, 3 + len(additive))]
    rows.append(["", "", *totals, *rec_all, med_all.get(None)])
    frame = pd.DataFrame(rows, columns=["department_code", "department", "opened", "done", "with_due", "breached",
                                        "open_overdue", "recoverable", "recovered", "median_contact_h"])
    for col in ("opened", "done", "with_due", "breached", "open_overdue", "recoverable", "recovered"):
        frame[col] = frame[col].fillna(0).astype(int)

    def pct(num: str, den: str) -> pd.Series:
        return (100.0 * frame[num] / frame[den].where(frame[den] > 0)).astype(float)

    frame["closure_rate"] = pct("done", "opened")
    frame["breach_rate"] = pct("breached", "with_due")
    frame["recovery_rate"] = pct("recovered", "recoverable")
    frame["median_contact_h"] = frame["median_contact_h"].astype(float)
    return frame[COLUMNS]


def weekly_trend(engine: Engine, *, scope: Collection[int] | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """Per week of creation: opened, done (resolved or closed), breached, closure rate."""
    now = now or dt.datetime.now()
    with engine.connect() as conn:
        week = week_of(conn, _i.c.created_at)
        rows = conn.execute(select(week.label("week"), func.count().label("opened"),
                                   func.sum(case((_i.c.status.in_(DONE_STATUSES), 1), else_=0)).label("done"),
                                   func.sum(case((_breached(now), 1), else_=0)).label("breached"))
                            .where(*_period(date_from, date_to, scope)).group_by(week).order_by(week)).all()
    frame = pd.DataFrame(rows, columns=["week", "opened", "done", "breached"])
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    frame["closure_rate"] = 100.0 * frame["done"] / frame["opened"]
    return frame


def actions_version(engine: Engine) -> str:
    """Changes with every created, changed or deleted item: part of the cache key of the figures."""
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.coalesce(func.max(_i.c.id), 0),
                                  func.coalesce(func.sum(_i.c.version), 0))).one()
    return ":".join(map(str, row))

