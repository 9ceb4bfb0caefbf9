"""Action items: the status machine, changes with optimistic concurrency, history and comments.

Every change goes through ``apply_change`` on an open connection, so the app, bulk edits and the Excel
re-import share one rule set and can batch many changes into one transaction. A change names the
version of the item its author saw; if the item moved on since, ``ConflictError`` says so and nothing is
written (the UPDATE is guarded by ``WHERE version = :seen`` too, so two writers racing cannot both win).
Each changed field becomes one ``action_events`` row: who, when, from, to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, update

from cem_core import audit
from cem_core.db import write_transaction
from cem_core.db.models import ActionComment, ActionEvent, ActionItem, Department, RootCause
from cem_core.i18n import t

STATUSES = ("open", "in_progress", "resolved", "closed", "reopened")
OPEN_STATUSES = ("open", "in_progress", "reopened")
DONE_STATUSES = ("resolved", "closed")
PRIORITIES = ("high", "medium", "low")
KINDS = ("callback", "review")
#: status -> statuses it may move to. Closing needs a resolution first; a closed item can only be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "resolved"}),
    "in_progress": frozenset({"resolved"}),
    "resolved": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "reopened": frozenset({"in_progress", "resolved"}),
}
#: Fields a change may set; anything else is refused.
EDITABLE = ("status", "owner", "priority", "first_contact_at", "root_cause", "resolution_note")

_items = ActionItem.__table__
_events = ActionEvent.__table__


class ActionError(Exception):
    """A refused change: a message key plus values, translated where shown."""

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key, values)
        self.key, self.values = key, values

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.values)


class ConflictError(ActionError):
    """The item changed since its author read it (another user, the app while the workbook was out)."""


@dataclass(frozen=True)
class Outcome:
    item_id: int
    version: int
    changed: tuple[str, ...]  # field names; empty: the change was a no-op


def root_cause_ids(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(RootCause.code, RootCause.id)).all())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def _clean(changes: Mapping[str, object]) -> dict[str, object]:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ActionError("act.err.field", field=", ".join(sorted(unknown)))
    out = dict(changes)
    for key in ("owner", "resolution_note"):
        if key in out and isinstance(out[key], str):
            out[key] = out[key].strip() or None
    if "status" in out and out["status"] not in STATUSES:
        raise ActionError("act.err.bad_status", status=out["status"])
    if "priority" in out and out["priority"] not in PRIORITIES:
        raise ActionError("act.err.bad_priority", priority=out["priority"])
    return out


def apply_change(conn: Connection, item_id: int, seen_version: int, changes: Mapping[str, object], *,
                 actor: str, scope: Collection[int] | None = None, now: dt.datetime | None = None) -> Outcome:
    """Apply ``changes`` (fields of ``EDITABLE``; ``root_cause`` as a code) to one item in ``conn``'s
    transaction. ``scope``: department ids the actor may edit (None: all). Raises ``ActionError``."""
    now = now or dt.datetime.now()
    changes = _clean(changes)
    row = conn.execute(select(_items).where(_items.c.id == item_id)).mappings().first()
    if row is None:
        raise ActionError("act.err.unknown_item", item=item_id)
    if scope is not None and row["department_id"] not in scope:
        raise ActionError("act.err.scope", item=item_id)
    causes = root_cause_ids(conn)
    new: dict[str, object] = {}
    if "root_cause" in changes:
        code = changes["root_cause"]
        if code is not None and code not in causes:
            raise ActionError("act.err.bad_root_cause", cause=code)
        new["root_cause_id"] = causes.get(code) if code else None  # type: ignore[arg-type]
    for key in ("owner", "priority", "first_contact_at", "resolution_note"):
        if key in changes:
            new[key] = changes[key]
    status = changes.get("status", row["status"])
    if status != row["status"]:
        if status not in TRANSITIONS[row["status"]]:
            raise ActionError("act.err.transition", item=item_id, old=row["status"], new=status)
        new["status"] = status
        if row["status"] == "open" and row["first_contact_at"] is None and "first_contact_at" not in new:
            new["first_contact_at"] = now  # starting on a case means the customer was contacted
        if status == "resolved":
            new["resolved_at"] = now
        elif status == "closed":
            new["closed_at"] = now
        elif status == "reopened":
            new["resolved_at"] = new["closed_at"] = None
    merged = {**row, **new}
    if merged["status"] in DONE_STATUSES and (merged["root_cause_id"] is None or not merged["resolution_note"]):
        raise ActionError("act.err.needs_root_cause", item=item_id)
    changed = {k: v for k, v in new.items() if row[k] != v}
    if not changed:
        return Outcome(item_id, row["version"], ())
    if row["version"] != seen_version:
        raise ConflictError("act.err.conflict", item=item_id, by=row["updated_by"] or "-",
                            at=_text(row["updated_at"]) or "-")
    done = conn.execute(update(_items).where(_items.c.id == item_id, _items.c.version == seen_version).values(
        **changed, version=seen_version + 1, updated_at=now, updated_by=actor)).rowcount
    if done != 1:
        raise ConflictError("act.err.conflict", item=item_id, by="-", at="-")
    code_of = {v: k for k, v in causes.items()}
    conn.execute(_events.insert(), [
        {"item_id": item_id, "at": now, "actor": actor, "field": k.removesuffix("_id"),
         "old": _text(code_of.get(row[k]) if k == "root_cause_id" else row[k]),
         "new": _text(code_of.get(v) if k == "root_cause_id" else v)} for k, v in sorted(changed.items())])
    return Outcome(item_id, seen_version + 1, tuple(sorted(changed)))


def change_item(engine: Engine, item_id: int, seen_version: int, changes: Mapping[str, object], *, actor: str,
                scope: Collection[int] | None = None) -> Outcome:
    """One change in its own transaction, audited (field names only: notes may hold personal data)."""
    with write_transaction(engine) as conn:
        out = apply_change(conn, item_id, seen_version, changes, actor=actor, scope=scope)
        if out.changed:
            audit.record(conn, actor, "action_change", target=f"action:{item_id}", rows=1,
                         detail={"fields": list(out.changed), "version": out.version})
    return out


def bulk_change(engine: Engine, seen: Mapping[int, int], changes: Mapping[str, object], *, actor: str,
                scope: Collection[int] | None = None) -> tuple[list[Outcome], list[ActionError]]:
    """The same change to many items (e.g. assign an owner), one transaction; refused items are reported,
    the others applied. ``seen``: item id -> version the author saw."""
    done, refused = [], []
    with write_transaction(engine) as conn:
        for item_id, version in seen.items():
            try:
                with conn.begin_nested():
                    done.append(apply_change(conn, item_id, version, changes, actor=actor, scope=scope))
            except ActionError as exc:
                refused.append(exc)
        changed = [o for o in done if o.changed]
        if changed:
            audit.record(conn, actor, "action_bulk_change", target="actions", rows=len(changed),
                         detail={"fields": sorted(set(changes)), "refused": len(refused)})
    return done, refused


def add_comment(engine: Engine, item_id: int, body: str, *, actor: str, scope: Collection[int] | None = None) -> None:
    body = body.strip()
    if not body:
        raise ActionError("act.err.empty_comment")
    with write_transaction(engine) as conn:
        dept = conn.execute(select(_items.c.department_id).where(_items.c.id == item_id)).scalar()
        if dept is None:
            raise ActionError("act.err.unknown_item", item=item_id)
        if scope is not None and dept not in scope:
            raise ActionError("act.err.scope", item=item_id)
        now = dt.datetime.now()
        conn.execute(ActionComment.__table__.insert().values(item_id=item_id, at=now, actor=actor, body=body))
        conn.execute(_events.insert().values(item_id=item_id, at=now, actor=actor, field="comment", old=None,
                                             new=None))
        audit.record(conn, actor, "action_comment", target=f"action:{item_id}", rows=1)


def department_ids(conn: Connection, codes: Collection[str]) -> dict[str, int]:
    return dict(conn.execute(select(Department.code, Department.id).where(Department.code.in_(list(codes)))).all())


def scope_of(engine: Engine, departments: tuple[str, ...]) -> set[int] | None:
    """Department ids a user is limited to (``User.scope``); None for every department."""
    if not departments:
        return None
    with engine.connect() as conn:
        return set(department_ids(conn, departments).values())
