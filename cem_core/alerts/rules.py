"""Alert rules: what to watch, whom to tell, through which channels. Stored in ``alert_rules``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, select

from cem_core import audit
from cem_core.db import write_transaction
from cem_core.db.models import AlertRule

MEASURES = ("nps", "csat", "ces")
#: Text spikes: the share of negative comments, or of negative mentions of each topic (overall only).
SPIKES = ("negative", "topic")
#: Follow-up items breaching their SLA, per department (``cem_core.act``).
SLA = "sla"
#: Dimension -> the responses column a rule compares per value (None: everything together).
DIMENSIONS: dict[str, str | None] = {"overall": None, "channel": "channel_id", "stage": "stage_id",
                                     "touchpoint": "touchpoint_id", "segment": "segment"}
CHANNEL_KINDS = ("wecom", "dingtalk", "feishu", "webhook", "email")
_rules = AlertRule.__table__


@dataclass(frozen=True)
class Rule:
    """A significant drop of ``measure`` against the previous period of ``window_days``, overall or per
    value of ``dimension``, fired when both periods have ``min_n`` answers and the test's p <= ``max_p``.

    ``channels``: dicts with ``kind`` (one of CHANNEL_KINDS), ``url`` (bots, webhook) or ``to`` (email
    addresses) and optionally ``secret``: the NAME of a secret (secrets.toml / environment), never its value.
    """

    name: str
    measure: str = "nps"
    dimension: str = "overall"
    window_days: int = 28
    min_n: int = 30
    max_p: float = 0.05
    users: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    channels: tuple[dict[str, str], ...] = field(default=())
    enabled: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        if self.measure in SPIKES and self.dimension != "overall":
            raise ValueError("text spikes are evaluated overall")
        if (self.measure == SLA) != (self.dimension == "department"):
            raise ValueError("SLA rules, and only they, are evaluated per department")
        if self.measure not in (*MEASURES, *SPIKES, SLA):
            raise ValueError(f"unknown measure: {self.measure}")
        if self.dimension not in DIMENSIONS and self.measure != SLA:
            raise ValueError(f"unknown dimension: {self.dimension}")
        if self.window_days < 1 or self.min_n < 2 or not 0 < self.max_p < 1:
            raise ValueError("window_days >= 1, min_n >= 2 and 0 < max_p < 1")
        for ch in self.channels:
            if ch.get("kind") not in CHANNEL_KINDS:
                raise ValueError(f"unknown channel kind: {ch.get('kind')}")


def _values(rule: Rule) -> dict[str, object]:
    return {"name": rule.name, "kind": "drop", "measure": rule.measure, "dimension": rule.dimension,
            "window_days": rule.window_days, "min_n": rule.min_n, "max_p": rule.max_p,
            "recipients": json.dumps({"users": list(rule.users), "departments": list(rule.departments)}),
            "channels": json.dumps(list(rule.channels), ensure_ascii=False), "enabled": rule.enabled}


def save_rule(engine: Engine, rule: Rule, actor: str) -> int:
    """Insert (``rule.id`` None) or update a rule; audited without channel URLs (they may hold keys)."""
    with write_transaction(engine) as conn:
        if rule.id is None:
            rule_id = conn.execute(_rules.insert().values(**_values(rule), created_by=actor,
                                                          created_at=dt.datetime.now()).returning(_rules.c.id)).scalar_one()
        else:
            conn.execute(_rules.update().where(_rules.c.id == rule.id).values(**_values(rule)))
            rule_id = rule.id
        audit.record(conn, actor, "alert_rule_save", target=f"alert_rule:{rule_id}",
                     detail={"measure": rule.measure, "dimension": rule.dimension, "window_days": rule.window_days,
                             "min_n": rule.min_n, "max_p": rule.max_p,
                             "channels": [c["kind"] for c in rule.channels]})
    return int(rule_id)


def delete_rule(engine: Engine, rule_id: int, actor: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(delete(_rules).where(_rules.c.id == rule_id))
        audit.record(conn, actor, "alert_rule_delete", target=f"alert_rule:{rule_id}")


def list_rules(engine: Engine, enabled_only: bool = False) -> list[Rule]:
    stmt = select(_rules).order_by(_rules.c.id)
    if enabled_only:
        stmt = stmt.where(_rules.c.enabled.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    out = []
    for r in rows:
        rec = json.loads(r["recipients"])
        out.append(Rule(name=r["name"], measure=r["measure"], dimension=r["dimension"], window_days=r["window_days"],
                        min_n=r["min_n"], max_p=r["max_p"], users=tuple(rec.get("users", ())),
                        departments=tuple(rec.get("departments", ())), channels=tuple(json.loads(r["channels"])),
                        enabled=bool(r["enabled"]), id=r["id"]))
    return out
