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
    exists,
    func,
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


def _median_hours(hist: dict[float, int]) -> float | None:
    """The median of minutes given as {minutes: count}, in hours: the middle one, or the mean of the
    middle two."""
    total = sum(hist.values())
    lower, upper = (total + 1) // 2, (total + 2) // 2  # 1-based ranks of the middle value(s)
    seen, low = 0, None
    for value in sorted(hist):
        seen += hist[value]
        if low is None and seen >= lower:
            low = value
        if seen >= upper:
            return (low + value) / 120.0
    return None  # no contacted items


ADDITIVE = ("opened", "done", "with_due", "breached", "open_overdue")


_KEY = 1_000_000  # histogram key = minutes * _KEY + department id (department ids stay far below it)


def _counts(conn: Connection, where: list, now: dt.datetime) -> dict[int, tuple[list[int], dict[float, int]]]:
    """Per department: the additive counts and a histogram of minutes to first contact.

    The counts are one GROUP BY department. The histogram groups the contacted items by one number,
    minutes * 1e6 + department id (a few thousand groups however many items), and the medians (to the
    minute) are read off it here: grouping by the pair (department, minutes) took 2.5x longer on SQLite,
    and the window-function sorts this replaced (per department, then in total) longer still."""
    c = _i.c
    counts = conn.execute(select(c.department_id, func.count(),
                                 func.sum(case((c.status.in_(DONE_STATUSES), 1), else_=0)),
                                 func.sum(case((c.due_at.is_not(None), 1), else_=0)),
                                 func.sum(case((_breached(now), 1), else_=0)),
                                 func.sum(case((and_(c.status.in_(OPEN_STATUSES), c.due_at < now), 1), else_=0)))
                          .where(*where).group_by(c.department_id)).all()
    minutes = func.round(hours_between(conn, c.first_contact_at, c.created_at) * 60.0)
    keyed = select((minutes * _KEY + c.department_id).label("k")).where(*where, c.first_contact_at.is_not(None)
                                                                        ).subquery()
    out: dict[int, tuple[list[int], dict[float, int]]] = {
        d: ([int(v or 0) for v in sums], {}) for d, *sums in counts}
    for key, n in conn.execute(select(keyed.c.k, func.count()).group_by(keyed.c.k)):
        key = round(float(key))
        d = key % _KEY
        out[d][1][float((key - d) // _KEY)] = int(n)
    return out


def loop_figures(engine: Engine, lang: str, *, scope: Collection[int] | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per department with items, then a total row (``department_code`` = ""). Three passes over
    the period's items: the counts, the contact-time histogram, and the resolved detractors' recovery."""
    now = now or dt.datetime.now()
    where = _period(date_from, date_to, scope)
    src = _r.alias("src")
    later = _r.alias("later")
    # Recovery counts distinct customers, so its total is not the sum of the departments: one row per
    # resolved detractor item with its department, customer and whether that customer answered at NPS >= 7
    # after the resolution; distinct customers are counted here (a GROUP BY (department, customer) in the
    # database cost more than the lookups of the later answers).
    recovered = exists().where(later.c.customer_id == _i.c.customer_id, later.c.nps >= 7,
                               later.c.occurred_at > _i.c.resolved_at)
    resolved_detractors = (select(_i.c.department_id, _i.c.customer_id, case((recovered, 1), else_=0))
                           .select_from(_i.join(src, src.c.id == _i.c.response_id))
                           .where(*where, src.c.nps <= 6, _i.c.resolved_at.is_not(None), _i.c.customer_id.is_not(None)))
    d = Department.__table__
    with engine.connect() as conn:
        names = {row[0]: row[1:] for row in conn.execute(select(d.c.id, d.c.code, d.c[name_col(lang)]))}
        counts = _counts(conn, where, now)
        rec_rows = conn.execute(resolved_detractors).all()
    pairs: dict[tuple[int, int], int] = {}  # (department, customer) -> recovered
    for did, customer, flag in rec_rows:
        pairs[(did, customer)] = max(pairs.get((did, customer), 0), int(flag))
    rec_by: dict[int, list[int]] = {}
    customers: dict[int, int] = {}
    for (did, customer), flag in pairs.items():
        counts_of = rec_by.setdefault(did, [0, 0])
        counts_of[0] += 1
        counts_of[1] += flag
        customers[customer] = max(customers.get(customer, 0), flag)
    rows, total_hist = [], {}
    for did in sorted(counts, key=lambda k: names[k][0]):
        sums, hist = counts[did]
        rows.append([*names[did], *sums, *rec_by.get(did, (0, 0)), _median_hours(hist)])
        for m, n in hist.items():
            total_hist[m] = total_hist.get(m, 0) + n
    totals = [sum(counts[did][0][i] for did in counts) for i in range(len(ADDITIVE))]
    rows.append(["", "", *totals, len(customers), sum(customers.values()), _median_hours(total_hist)])
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


def day_of(conn: Connection, col: ColumnElement) -> ColumnElement:
    """The calendar day of ``col``: the date's text on SQLite (a prefix of the stored text, no date
    arithmetic per row), a date on Postgres."""
    if conn.dialect.name == "postgresql":
        return cast(col, Date)
    return func.substr(col, 1, 10)


def weekly_trend(engine: Engine, *, scope: Collection[int] | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """Per week of creation (its Monday): opened, done (resolved or closed), breached, closure rate.
    Counted per day in the database (a few hundred rows), folded into weeks here: SQLite's week
    arithmetic (``date(x, 'weekday 0', '-6 days')``) on every item cost more than the counting."""
    now = now or dt.datetime.now()
    with engine.connect() as conn:
        day = day_of(conn, _i.c.created_at)
        rows = conn.execute(select(day.label("day"), func.count().label("opened"),
                                   func.sum(case((_i.c.status.in_(DONE_STATUSES), 1), else_=0)).label("done"),
                                   func.sum(case((_breached(now), 1), else_=0)).label("breached"))
                            .where(*_period(date_from, date_to, scope)).group_by(day)).all()
    days = pd.DataFrame(rows, columns=["day", "opened", "done", "breached"])
    days["week"] = [d - dt.timedelta(days=d.weekday()) for d in pd.to_datetime(days["day"]).dt.date]
    frame = days.groupby("week", as_index=False)[["opened", "done", "breached"]].sum().sort_values("week")
    frame[["opened", "done", "breached"]] = frame[["opened", "done", "breached"]].astype(int)
    frame["closure_rate"] = 100.0 * frame["done"] / frame["opened"]
    return frame.reset_index(drop=True)


def actions_version(engine: Engine) -> str:
    """Changes with every created, changed or deleted item: part of the cache key of the figures."""
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.coalesce(func.max(_i.c.id), 0),
                                  func.coalesce(func.sum(_i.c.version), 0))).one()
    return ":".join(map(str, row))

