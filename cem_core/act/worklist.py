"""Reading action items: the filtered work list, one item's detail with the customer's feedback, and the
open items an export writes. Queries run in the database with the filters as WHERE clauses and a row
limit; personal data is masked by the caller's role (``privacy.mask_frame``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from cem_core.act.items import OPEN_STATUSES
from cem_core.db.models import (
    ActionComment,
    ActionEvent,
    ActionItem,
    Customer,
    Department,
    Response,
    RootCause,
    Touchpoint,
)
from cem_core.i18n import name_col

_i = ActionItem.__table__
_c = Customer.__table__
_r = Response.__table__
_d = Department.__table__
_tp = Touchpoint.__table__
_rc = RootCause.__table__


@dataclass(frozen=True)
class ItemFilter:
    departments: tuple[int, ...] = ()  # () = all (already intersected with the user's scope by the caller)
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    owner: str | None = None  # "" = unassigned
    touchpoints: tuple[int, ...] = ()
    overdue_only: bool = False


def _base(lang: str) -> Select:
    n = name_col(lang)
    return (select(_i.c.id, _d.c.code.label("department_code"), _d.c[n].label("department"), _i.c.kind,
                   _i.c.priority, _i.c.status, _i.c.owner, _i.c.created_at, _i.c.due_at, _i.c.first_contact_at,
                   _i.c.resolved_at, _rc.c.code.label("root_cause"), _i.c.resolution_note, _i.c.version,
                   _tp.c[n].label("touchpoint"), _i.c.touchpoint_id, _i.c.customer_id, _i.c.response_id,
                   _i.c.source_undone, _c.c.name.label("name"), _c.c.phone.label("phone"), _r.c.nps, _r.c.csat,
                   _r.c.ces, _r.c.comment.label("comment"), _r.c.occurred_at)
            .select_from(_i.join(_d, _d.c.id == _i.c.department_id).outerjoin(_tp, _tp.c.id == _i.c.touchpoint_id)
                         .outerjoin(_c, _c.c.id == _i.c.customer_id).outerjoin(_r, _r.c.id == _i.c.response_id)
                         .outerjoin(_rc, _rc.c.id == _i.c.root_cause_id)))


def scoped(stmt: Select, departments: Collection[int] | None) -> Select:
    return stmt if departments is None else stmt.where(_i.c.department_id.in_(list(departments)))


def work_list(engine: Engine, f: ItemFilter, lang: str, *, scope: Collection[int] | None,
              limit: int = 500, now: dt.datetime | None = None) -> tuple[pd.DataFrame, int]:
    """(up to ``limit`` items, most urgent first; the number matching). Not masked: mask before showing."""
    now = now or dt.datetime.now()
    where = []
    if f.departments:
        where.append(_i.c.department_id.in_(f.departments))
    if f.statuses:
        where.append(_i.c.status.in_(f.statuses))
    if f.priorities:
        where.append(_i.c.priority.in_(f.priorities))
    if f.owner is not None:
        where.append(_i.c.owner.is_(None) if f.owner == "" else _i.c.owner == f.owner)
    if f.touchpoints:
        where.append(_i.c.touchpoint_id.in_(f.touchpoints))
    if f.overdue_only:
        where.extend([_i.c.status.in_(OPEN_STATUSES), _i.c.due_at < now])
    stmt = scoped(_base(lang).where(*where), scope)
    count = scoped(select(func.count()).select_from(_i).where(*where), scope)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        # every routed item has a due time; due order uses ix_action_items_due and stops at ``limit``
        rows = conn.execute(stmt.order_by(_i.c.due_at, _i.c.id).limit(limit)).mappings().all()
    frame = pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
    frame["overdue"] = frame["status"].isin(OPEN_STATUSES) & (frame["due_at"] < now)
    return frame, total


def open_items(engine: Engine, departments: Collection[int], lang: str) -> list[dict[str, object]]:
    """Every open item of ``departments`` for an export, by department then due time. Plain dicts: an
    export streams them into cells, and a DataFrame round trip would cost more than the writing."""
    stmt = _base(lang).where(_i.c.status.in_(OPEN_STATUSES), _i.c.department_id.in_(list(departments)))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt.order_by(_d.c.code, _i.c.due_at, _i.c.id)).mappings()]


@dataclass
class ItemDetail:
    item: dict[str, object]
    history: pd.DataFrame
    comments: pd.DataFrame
    previous: pd.DataFrame  # the same customer's other feedback, newest first


def item_detail(engine: Engine, item_id: int, lang: str, *, scope: Collection[int] | None) -> ItemDetail | None:
    with engine.connect() as conn:
        item = conn.execute(scoped(_base(lang).where(_i.c.id == item_id), scope)).mappings().first()
        if item is None:
            return None
        e, cm = ActionEvent.__table__.c, ActionComment.__table__.c
        history = pd.DataFrame(conn.execute(select(e.at, e.actor, e.field, e.old, e.new).where(
            e.item_id == item_id).order_by(e.id)).mappings().all(), columns=["at", "actor", "field", "old", "new"])
        comments = pd.DataFrame(conn.execute(select(cm.at, cm.actor, cm.body).where(cm.item_id == item_id).order_by(
            cm.id)).mappings().all(), columns=["at", "actor", "body"])
        previous = pd.DataFrame(columns=["occurred_at", "nps", "csat", "ces", "comment"])
        if item["customer_id"] is not None:
            previous = pd.DataFrame(conn.execute(
                select(_r.c.occurred_at, _r.c.nps, _r.c.csat, _r.c.ces, _r.c.comment)
                .where(_r.c.customer_id == item["customer_id"], _r.c.id != item["response_id"])
                .order_by(_r.c.occurred_at.desc()).limit(20)).mappings().all(),
                columns=["occurred_at", "nps", "csat", "ces", "comment"])
    return ItemDetail(dict(item), history, comments, previous)
