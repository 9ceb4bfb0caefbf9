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
    Table,
    case,
    cast,
    distinct,
    func,
    select,
)

from cem_core.act.items import OPEN_STATUSES
from cem_core.db.models import ActionEvent, ActionItem, Department, action_contact_hist, action_rollup
from cem_core.i18n import name_col

_i = ActionItem.__table__
_e = ActionEvent.__table__
COLUMNS = ["department_code", "department", "opened", "done", "closure_rate", "median_contact_h", "with_due",
           "breached", "breach_rate", "open_overdue", "recoverable", "recovered", "recovery_rate"]


def _period(date_from: dt.date | None, date_to: dt.date | None, scope: Collection[int] | None) -> list:
    where = []
    if date_from is not None:
        where.append(_i.c.created_at >= dt.datetime.combine(date_from, dt.time()))
    if date_to is not None:
        where.append(_i.c.created_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
    if scope is not None:
        where.append(_i.c.department_id.in_(list(scope)))
    return where


def _days(table: Table, date_from: dt.date | None, date_to: dt.date | None, scope: Collection[int] | None) -> list:
    """The period on a rollup keyed by day of creation: the same items as ``_period``."""
    where = []
    if date_from is not None:
        where.append(table.c.day >= date_from)
    if date_to is not None:
        where.append(table.c.day <= date_to)
    if scope is not None:
        where.append(table.c.department_id.in_(list(scope)))
    return where


def _median_hours(hist: dict[int, int]) -> float | None:
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


def _late_unresolved(now: dt.datetime, departments: Collection[int]) -> list:
    """Unresolved items past due: the SLA breaches that move with the clock, read live through the partial
    index ``ix_action_items_unresolved`` (department, due_at, created_at) over the unresolved items only.
    The departments are named (all of them when unscoped): without them SQLite read the items in due order
    (``ix_action_items_due``) or department order (``ix_action_items_dept_status``), i.e. every item."""
    return [_i.c.department_id.in_(list(departments)), _i.c.resolved_at.is_(None), _i.c.due_at < now]


def _counts(conn: Connection, date_from: dt.date | None, date_to: dt.date | None, scope: Collection[int] | None,
            now: dt.datetime, departments: Collection[int]) -> dict[int, tuple[list[int], dict[int, int]]]:
    """Per department with items: the additive counts and a histogram of minutes to first contact.

    Opened, done, with a due time and resolved late come from ``action_rollup``; the unresolved past due
    and the open overdue items (both move with the clock) are counted live from indexes; the histogram is
    ``action_contact_hist`` summed over the period's days."""
    c, r, h = _i.c, action_rollup.c, action_contact_hist.c
    where = _period(date_from, date_to, scope)
    out: dict[int, tuple[list[int], dict[int, int]]] = {}
    for d, *sums in conn.execute(
            select(r.department_id, *(func.sum(r[k]) for k in ("opened", "done", "with_due", "breached")))
            .where(*_days(action_rollup, date_from, date_to, scope)).group_by(r.department_id)
            .having(func.sum(r.opened) > 0)):
        out[d] = ([int(v) for v in sums] + [0], {})
    ids = list(departments if scope is None else scope)
    for d, n in conn.execute(select(c.department_id, func.count()).where(*where, *_late_unresolved(now, ids))
                             .group_by(c.department_id)):
        out[d][0][3] += int(n)
    # (department_id, status, due_at): one range per department and open status, no scan of the closed items
    for d, n in conn.execute(select(c.department_id, func.count()).where(
            *where, c.department_id.in_(ids), c.status.in_(OPEN_STATUSES), c.due_at < now).group_by(c.department_id)):
        out[d][0][4] = int(n)
    for d, minutes, n in conn.execute(
            select(h.department_id, h.minutes, func.sum(h.contacted))
            .where(*_days(action_contact_hist, date_from, date_to, scope))
            .group_by(h.department_id, h.minutes).having(func.sum(h.contacted) != 0)):
        out[d][1][int(minutes)] = int(n)
    return out


def _recovery(conn: Connection, where: list) -> tuple[dict[int, list[int]], list[int]]:
    """Recoverable and recovered customers per department, and in total (customers are counted once, so
    the total is not the sum of the departments). Reads the resolved detractor items only, with the
    recovery their triggers keep, from the covering partial index ``ix_action_items_recovery``."""
    c = _i.c
    counts = (func.count(distinct(c.customer_id)),
              func.count(distinct(case((c.recovered == 1, c.customer_id)))))
    where = [*where, c.recovered.is_not(None)]
    by_department = {d: [int(n), int(r)] for d, n, r in conn.execute(
        select(c.department_id, *counts).where(*where).group_by(c.department_id))}
    n, r = conn.execute(select(*counts).where(*where)).one()
    return by_department, [int(n), int(r)]


def loop_figures(engine: Engine, lang: str, *, scope: Collection[int] | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per department with items, then a total row (``department_code`` = ""). Reads the rollups
    (``act.loop_rollup``), the few open items past due, and the resolved detractor items."""
    now = now or dt.datetime.now()
    d = Department.__table__
    with engine.connect() as conn:
        names = {row[0]: row[1:] for row in conn.execute(select(d.c.id, d.c.code, d.c[name_col(lang)]))}
        counts = _counts(conn, date_from, date_to, scope, now, names)
        rec_by, rec_total = _recovery(conn, _period(date_from, date_to, scope))
    rows, total_hist = [], {}
    for did in sorted(counts, key=lambda k: names[k][0]):
        sums, hist = counts[did]
        rows.append([*names[did], *sums, *rec_by.get(did, (0, 0)), _median_hours(hist)])
        for m, n in hist.items():
            total_hist[m] = total_hist.get(m, 0) + n
    totals = [sum(counts[did][0][i] for did in counts) for i in range(len(ADDITIVE))]
    rows.append(["", "", *totals, *rec_total, _median_hours(total_hist)])
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
    ``action_rollup`` per day plus the unresolved items past due per day, folded into weeks here."""
    now = now or dt.datetime.now()
    r = action_rollup.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.day, func.sum(r.opened), func.sum(r.done), func.sum(r.breached))
                            .where(*_days(action_rollup, date_from, date_to, scope)).group_by(r.day)
                            .having(func.sum(r.opened) > 0)).all()
        ids = scope if scope is not None else conn.execute(select(Department.id)).scalars().all()
        day = day_of(conn, _i.c.created_at)
        late = conn.execute(select(day, func.count()).where(*_period(date_from, date_to, scope),
                                                            *_late_unresolved(now, ids)).group_by(day)).all()
    days = pd.DataFrame([(d, *map(int, sums)) for d, *sums in rows], columns=["day", "opened", "done", "breached"])
    days["day"] = pd.to_datetime(days["day"]).dt.date
    if late:
        extra = pd.DataFrame(late, columns=["day", "late"])
        extra["day"] = pd.to_datetime(extra["day"]).dt.date
        days = days.merge(extra, on="day", how="left")
        days["breached"] = days["breached"] + days["late"].fillna(0)
    days["week"] = [d - dt.timedelta(days=d.weekday()) for d in days["day"]]
    frame = days.groupby("week", as_index=False)[["opened", "done", "breached"]].sum().sort_values("week")
    frame[["opened", "done", "breached"]] = frame[["opened", "done", "breached"]].astype(int)
    frame["closure_rate"] = 100.0 * frame["done"] / frame["opened"]
    return frame.reset_index(drop=True)


def actions_version(engine: Engine) -> str:
    """Changes with every created, changed or deleted item: part of the cache key of the figures, read at
    every rerun of the overview. From indexes only: the number of items and the newest item (creations,
    deletions) and the newest history row (every change writes one, ``act.items.apply_change``). The sum
    of the items' versions said the same but read the whole table: 0.5-1.8 s per overview rerun at 295k
    items (the 1M demo), most of the server's time per step under load (py-spy, bench/bench_load.py)."""
    with engine.connect() as conn:
        items = conn.execute(select(func.count(), func.coalesce(func.max(_i.c.id), 0))).one()
        last_change = conn.execute(select(func.coalesce(func.max(_e.c.id), 0))).scalar_one()
    return ":".join(map(str, (*items, last_change)))

