"""Deletion of a customer on request (PIPL Art. 47).

``find_customers`` matches on the customer id, or the keyed hash and the raw value of a normalised
phone or email; ``delete_customers`` removes the customers and, found from the
schema's foreign keys, every row that refers to them (responses, ratings, and whatever later tables
point at customers or responses, e.g. actions), then rebuilds the rollup of the touched batches.
Data that holds personal data without a foreign key registers an eraser with ``register_eraser``.
The audit entry holds counts only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Column, ColumnElement, Connection, Engine, Table, func, or_, select

from cem_core import audit
from cem_core.analyze import chunk_rollup, rollup
from cem_core.db import write_transaction
from cem_core.db.models import Base, Customer, Response
from cem_core.privacy.hashing import hash_key, keyed_hash, normalise_email, normalise_phone
from cem_core.privacy.masking import mask_frame
from cem_core.text import store as text_store

_customers: Table = Customer.__table__
_responses: Table = Response.__table__

LOOKUP_KINDS = ("id", "phone", "email")
#: name -> fn(conn, customer_ids, response_ids) -> rows deleted; for data without a foreign key.
Eraser = Callable[[Connection, list[int], list[int]], int]
_ERASERS: dict[str, Eraser] = {}


def register_eraser(name: str, fn: Eraser) -> None:
    """Register the deletion of personal data a table holds without a foreign key to customers/responses."""
    _ERASERS[name] = fn


def _phone_variants(raw: str) -> set[str]:
    n = normalise_phone(raw)
    if not n:
        return set()
    variants = {n}
    if n.startswith("+86"):
        variants.add(n[3:])
    elif len(n) == 11 and n.startswith("1"):
        variants.add("+86" + n)
    return variants


def match_condition(engine: Engine, kind: str, value: str) -> ColumnElement[bool] | None:
    """WHERE clause on ``customers`` for a lookup, or None when the value cannot match anything."""
    c = _customers.c
    value = (value or "").strip()
    if not value or kind not in LOOKUP_KINDS:
        return None
    if kind == "id":
        return c.customer_key == value
    key = hash_key(engine)
    if kind == "phone":
        variants = _phone_variants(value)
        if not variants:
            return None
        return or_(c.phone_hash.in_([keyed_hash(key, v) for v in variants]), c.phone.in_(variants | {value}))
    email = normalise_email(value)
    if not email:
        return None
    return or_(c.email_hash == keyed_hash(key, email), func.lower(c.email) == email)


def find_customers(engine: Engine, *, kind: str, value: str) -> list[int]:
    """Ids of the customers a request names (by customer id, phone or email)."""
    where = match_condition(engine, kind, value)
    if where is None:
        return []
    with engine.connect() as conn:
        return list(conn.execute(select(_customers.c.id).where(where).order_by(_customers.c.id)).scalars())


def customer_preview(engine: Engine, ids: list[int], unmask: bool) -> pd.DataFrame:
    """What the operator checks before deleting: masked identity, number of responses, date range."""
    c, r = _customers.c, _responses.c
    stmt = (select(c.id, c.customer_key, c.name, c.phone, c.email, func.count(r.id).label("responses"),
                   func.min(r.occurred_date).label("first"), func.max(r.occurred_date).label("last"))
            .select_from(_customers.outerjoin(_responses, r.customer_id == c.id))
            .where(c.id.in_(ids)).group_by(c.id, c.customer_key, c.name, c.phone, c.email).order_by(c.id))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).mappings().all(),
                             columns=["id", "customer_key", "name", "phone", "email", "responses", "first", "last"])
    return mask_frame(frame, unmask=unmask)


@dataclass(frozen=True)
class DeletionResult:
    customers: int
    responses: int
    tables: dict[str, int] = field(default_factory=dict)  # every table touched -> rows deleted


def _children(table: Table) -> list[tuple[Table, Column, Column]]:
    """Tables with a foreign key into ``table``: (child, child column, referenced column)."""
    return [(child, fk.parent, fk.column) for child in Base.metadata.sorted_tables if child is not table
            for fk in child.foreign_keys if fk.column.table is table]


def _delete_tree(conn: Connection, table: Table, where: ColumnElement[bool], counts: dict[str, int]) -> None:
    """Delete rows of ``table`` matching ``where`` and, first, every row referring to them, recursively."""
    for child, child_col, parent_col in _children(table):
        _delete_tree(conn, child, child_col.in_(select(parent_col).where(where)), counts)
    deleted = conn.execute(table.delete().where(where)).rowcount
    if deleted:
        counts[table.name] = counts.get(table.name, 0) + deleted


def delete_customers(engine: Engine, ids: list[int], *, actor: str, matched_by: str) -> DeletionResult:
    """Delete the customers ``ids`` and everything that refers to them, in one transaction, audited."""
    counts: dict[str, int] = {}
    if not ids:
        return DeletionResult(0, 0, counts)
    with write_transaction(engine) as conn:
        response_ids = list(conn.execute(select(_responses.c.id).where(_responses.c.customer_id.in_(ids))).scalars())
        batches = list(conn.execute(select(_responses.c.batch_id).where(
            _responses.c.customer_id.in_(ids)).distinct()).scalars())
        for name, eraser in sorted(_ERASERS.items()):
            if deleted := eraser(conn, list(ids), response_ids):
                counts[name] = deleted
        text_store.forget(conn, response_ids)  # subtracts their comments' counts: no recount of a 1M batch
        chunk_rollup.subtract_responses(conn, response_ids)  # and their sums from every additive rollup
        _delete_tree(conn, _customers, _customers.c.id.in_(ids), counts)
        rollup.rebuild_journeys(conn, batches)
        result = DeletionResult(counts.get("customers", 0), counts.get("responses", 0), counts)
        audit.record(conn, actor, "delete_customer", target="customer", rows=result.responses,
                     detail={"matched_by": matched_by, "customers": result.customers, "deleted": counts})
    return result
