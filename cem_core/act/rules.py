"""Routing rules: which responses become action items, for which department, how urgent, due when.

A rule's conditions are a JSON object (all present keys must hold):

``nps`` / ``csat`` / ``ces``: ``[low, high]`` inclusive; ``sentiment``: labels; ``topics``: topic codes
(both from text analysis, see ``signals``); ``stages`` / ``channels`` / ``touchpoints``: codes; ``regions`` /
``products`` / ``segments``: values; ``keywords``: the comment contains any of them (case-insensitive);
``has_contact``: the customer left a phone or email; ``has_comment``; ``has_touchpoint``.

Routing is set-based: per enabled rule, in order, one ``INSERT INTO action_items ... SELECT ... FROM
responses`` with the conditions as its WHERE clause, skipping a response that already has an item in that
department, so the first matching rule wins and one response never gets two items in one department
(a unique index guarantees it too). The import calls ``route_batch`` inside its own transaction, so a
failed import leaves no items; ``backfill`` runs the same statements over stored responses, and
``preview`` runs them too and rolls back, so the preview is the backfill.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    and_,
    exists,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cem_core import audit
from cem_core.act.calendar import SETTING_KEY, WorkCalendar
from cem_core.act.items import KINDS, PRIORITIES, ActionError
from cem_core.act.signals import SENTIMENTS, sentiment_predicate, topic_predicate
from cem_core.db import write_transaction
from cem_core.db.models import (
    ActionItem,
    ActionRule,
    AppSetting,
    Channel,
    Customer,
    Department,
    JourneyStage,
    Response,
    Touchpoint,
)

RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
LISTS = ("sentiment", "topics", "stages", "channels", "touchpoints", "regions", "products", "segments", "keywords")
FLAGS = ("has_contact", "has_comment", "has_touchpoint")
CONDITION_KEYS = (*RANGES, *LISTS, *FLAGS)
ITEM_COLUMNS = ("response_id", "customer_id", "batch_id", "rule_id", "department_id", "touchpoint_id", "kind",
                "priority", "status", "created_at", "due_at", "source_undone", "version")

_r = Response.__table__
_items = ActionItem.__table__
_rules = ActionRule.__table__


@dataclass
class Rule:
    name: str
    conditions: dict[str, object] = field(default_factory=dict)
    department_code: str | None = None  # None: the department owning the response's touchpoint
    kind: str = "callback"
    priority: str = "medium"
    sla_hours: float = 48.0
    sla_working: bool = False
    enabled: bool = True
    position: int = 0
    id: int | None = None

    def validate(self) -> None:
        if not self.name.strip():
            raise ActionError("act.rule.err.name")
        unknown = set(self.conditions) - set(CONDITION_KEYS)
        if unknown:
            raise ActionError("act.rule.err.condition", key=", ".join(sorted(unknown)))
        for key, (lo, hi) in RANGES.items():
            if key in self.conditions:
                pair = self.conditions[key]
                if (not isinstance(pair, list | tuple) or len(pair) != 2
                        or not lo <= pair[0] <= pair[1] <= hi):
                    raise ActionError("act.rule.err.range", key=key, low=lo, high=hi)
        for key in LISTS:
            if key in self.conditions and not isinstance(self.conditions[key], list | tuple):
                raise ActionError("act.rule.err.list", key=key)
        if set(self.conditions.get("sentiment", ())) - set(SENTIMENTS):
            raise ActionError("act.rule.err.sentiment")
        if self.kind not in KINDS or self.priority not in PRIORITIES:
            raise ActionError("act.rule.err.action")
        if not 0 < self.sla_hours <= 24 * 365:
            raise ActionError("act.rule.err.sla")


@dataclass(frozen=True)
class RouteResult:
    created: dict[int, int]  # rule id -> items created
    total: int


def _codes(model, codes: list[str]) -> ColumnElement[int]:
    return select(model.id).where(model.code.in_(codes)).scalar_subquery()


def where_clause(conditions: Mapping[str, object]) -> ColumnElement[bool]:
    """The SQL predicate on ``responses`` for one rule's conditions."""
    r = _r.c
    parts: list[ColumnElement[bool]] = []
    for key in RANGES:
        if key in conditions:
            lo, hi = conditions[key]  # type: ignore[misc]
            parts.append(r[key].between(lo, hi))
    c: Mapping[str, list] = {k: list(v) for k, v in conditions.items() if k in LISTS}  # type: ignore[arg-type]
    if "sentiment" in c:
        parts.append(sentiment_predicate(_r, c["sentiment"]))
    if "topics" in c:
        parts.append(topic_predicate(_r, c["topics"]))
    if "stages" in c:
        parts.append(r.stage_id.in_(select(JourneyStage.id).where(JourneyStage.code.in_(c["stages"]))))
    if "channels" in c:
        parts.append(r.channel_id.in_(select(Channel.id).where(Channel.code.in_(c["channels"]))))
    if "touchpoints" in c:
        parts.append(r.touchpoint_id.in_(select(Touchpoint.id).where(Touchpoint.code.in_(c["touchpoints"]))))
    for key, col in (("regions", r.region), ("products", r.product), ("segments", r.segment)):
        if key in c:
            parts.append(col.in_(c[key]))
    if "keywords" in c:
        words = [str(w).strip().lower() for w in c["keywords"] if str(w).strip()]
        parts.append(or_(*(func.lower(r.comment).contains(w, autoescape=True) for w in words)) if words
                     else false())
    if conditions.get("has_contact"):
        cu = Customer.__table__.c
        parts.append(exists().where(cu.id == r.customer_id, or_(cu.phone_hash.is_not(None), cu.email_hash.is_not(None),
                                                                 cu.phone.is_not(None), cu.email.is_not(None))))
    if conditions.get("has_comment"):
        parts.append(and_(r.comment.is_not(None), r.comment != ""))
    if conditions.get("has_touchpoint"):
        parts.append(r.touchpoint_id.is_not(None))
    return and_(true(), *parts)


def load_rules(conn: Connection, enabled_only: bool = False) -> list[Rule]:
    stmt = select(_rules).order_by(_rules.c.position, _rules.c.id)
    if enabled_only:
        stmt = stmt.where(_rules.c.enabled.is_(True))
    return [Rule(name=row.name, conditions=json.loads(row.conditions or "{}"), department_code=row.department_code,
                 kind=row.kind, priority=row.priority, sla_hours=row.sla_hours, sla_working=row.sla_working,
                 enabled=row.enabled, position=row.position, id=row.id) for row in conn.execute(stmt)]


def _calendar(conn: Connection) -> WorkCalendar:
    stored = conn.execute(select(AppSetting.value).where(AppSetting.key == SETTING_KEY)).scalar()
    return WorkCalendar.from_json(stored) if stored else WorkCalendar()


def route(conn: Connection, *, batch_id: int | None = None, since: dt.date | None = None,
          now: dt.datetime | None = None, rules: list[Rule] | None = None) -> RouteResult:
    """Create the items the enabled rules call for, in ``conn``'s transaction. ``batch_id``: only that
    batch's responses (the import hook); ``since``: only responses on or after that day."""
    now = now or dt.datetime.now().replace(microsecond=0)
    rules = [r for r in (rules if rules is not None else load_rules(conn, enabled_only=True)) if r.enabled]
    if not rules:
        return RouteResult({}, 0)
    calendar = _calendar(conn)
    depts = dict(conn.execute(select(Department.code, Department.id)).all())
    scope: list[ColumnElement[bool]] = []
    if batch_id is not None:
        scope.append(_r.c.batch_id == batch_id)
    if since is not None:
        scope.append(_r.c.occurred_date >= since)
    created: dict[int, int] = {}
    for rule in rules:
        tp = Touchpoint.__table__
        if rule.department_code is None:
            dept = tp.c.department_id
            source = _r.join(tp, tp.c.id == _r.c.touchpoint_id)
            extra = [tp.c.department_id.is_not(None)]
        elif rule.department_code in depts:
            dept, source, extra = literal(depts[rule.department_code], Integer), _r, []
        else:
            created[rule.id or 0] = 0  # the department does not exist (yet): nothing to route to
            continue
        due = calendar.add(now, rule.sla_hours, rule.sla_working)
        stmt = select(_r.c.id, _r.c.customer_id, _r.c.batch_id, literal(rule.id, Integer), dept, _r.c.touchpoint_id,
                      literal(rule.kind, String), literal(rule.priority, String), literal("open", String),
                      literal(now, DateTime), literal(due, DateTime), false(), literal(1, Integer)
                      ).select_from(source).where(
            *scope, *extra, where_clause(rule.conditions))
        # ON CONFLICT on the unique (response, department) index: the first rule wins, and no anti-join for
        # a planner to misjudge on a table whose statistics predate this import (quadratic on Postgres).
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(_items)
        n = conn.execute(ins.from_select(ITEM_COLUMNS, stmt).on_conflict_do_nothing(
            index_elements=["response_id", "department_id"]).execution_options(preserve_rowcount=True)).rowcount
        created[rule.id or 0] = int(n or 0)
    return RouteResult(created, sum(created.values()))


def route_batch(conn: Connection, batch_id: int) -> RouteResult:
    """The import hook: route one batch's responses inside the import's transaction. A database not yet
    migrated to 0012 (an upgrade test importing at an older revision) has no rules, so nothing is routed."""
    if not inspect(conn).has_table(_rules.name):
        return RouteResult({}, 0)
    return route(conn, batch_id=batch_id)


class _Preview(Exception):
    def __init__(self, result: RouteResult) -> None:
        super().__init__()
        self.result = result


def preview(engine: Engine, *, since: dt.date | None = None, rules: list[Rule] | None = None) -> RouteResult:
    """What ``backfill`` would create, by running it and rolling back: equal by construction."""
    try:
        with write_transaction(engine) as conn:
            raise _Preview(route(conn, since=since, rules=rules))
    except _Preview as done:
        return done.result


def backfill(engine: Engine, *, actor: str, since: dt.date | None = None) -> RouteResult:
    """Route stored responses (e.g. after adding a rule), one transaction, audited."""
    with write_transaction(engine) as conn:
        result = route(conn, since=since)
        audit.record(conn, actor, "action_backfill", target="actions", rows=result.total,
                     detail={"since": str(since) if since else None, "per_rule": result.created})
    return result


def match_counts(engine: Engine, rules: list[Rule]) -> dict[int, int]:
    """How many stored responses each rule's conditions match, on their own (the rules page's preview)."""
    out = {}
    with engine.connect() as conn:
        for i, rule in enumerate(rules):
            out[i] = int(conn.execute(select(func.count()).select_from(_r).where(
                where_clause(rule.conditions))).scalar_one())
    return out


def on_batch_undo(conn: Connection, batch_id: int) -> dict[str, int]:
    """Undo hook: drop the batch's untouched items (still version 1); keep, marked, those worked on."""
    removed = conn.execute(_items.delete().where(_items.c.batch_id == batch_id, _items.c.version == 1)).rowcount
    kept = conn.execute(update(_items).where(_items.c.batch_id == batch_id).values(
        source_undone=True, response_id=None)).rowcount
    return {"items_removed": int(removed or 0), "items_kept": int(kept or 0)}


def save_rules(engine: Engine, rules: list[Rule], *, actor: str) -> None:
    """Replace the rule list (order = list order), validated first, audited. Items keep their rule id
    while the rule exists; a removed rule's items stay (their ``rule_id`` then names no rule)."""
    for rule in rules:
        rule.validate()
    now = dt.datetime.now()
    with write_transaction(engine) as conn:
        keep = [r.id for r in rules if r.id is not None]
        conn.execute(_rules.delete().where(_rules.c.id.not_in(keep) if keep else true()))
        for pos, rule in enumerate(rules, start=1):
            values = {"position": pos, "name": rule.name.strip(), "enabled": rule.enabled,
                      "conditions": json.dumps(rule.conditions, ensure_ascii=False),
                      "department_code": rule.department_code or None, "kind": rule.kind, "priority": rule.priority,
                      "sla_hours": float(rule.sla_hours), "sla_working": rule.sla_working, "updated_by": actor,
                      "updated_at": now}
            if rule.id is None:
                rule.id = int(conn.execute(_rules.insert().values(**values)).inserted_primary_key[0])
            else:
                conn.execute(update(_rules).where(_rules.c.id == rule.id).values(**values))
            rule.position = pos
        audit.record(conn, actor, "action_rules", target="rules", rows=len(rules),
                     detail={"enabled": sum(r.enabled for r in rules)})
