"""One entry point for evaluation + delivery, called after every import and by ``alerts run`` (cron)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, select

from cem_core.alerts.deliver import DEFAULT_RETRY, Retry, deliver
from cem_core.alerts.evaluate import evaluate
from cem_core.alerts.messages import alert_text
from cem_core.alerts.rules import list_rules
from cem_core.config import default_language
from cem_core.db.models import Alert, Channel, Department, JourneyStage, Touchpoint
from cem_core.i18n import t
from cem_core.text.settings import active_config_of
from cem_core.text.topics import Taxonomy

log = logging.getLogger(__name__)
_NAME_TABLES = {"channel": (Channel.__table__, "code"), "stage": (JourneyStage.__table__, "code"),
                "department": (Department.__table__, "code"),
                "touchpoint": (Touchpoint.__table__, "id")}


def where_name(engine: Engine, dimension: str, dim_key: str | None, lang: str) -> str:
    """Display name of an alert's dimension value (a code, a touchpoint id, a topic code or a segment): the
    in-app list, every message and the report show what a reader knows the thing by, never its code."""
    if dim_key is None:
        return t("alerts.overall", lang)
    if dimension == "topic":  # named by the active taxonomy, as the Text page names it
        return Taxonomy(active_config_of(engine).topics).names(lang).get(dim_key, dim_key)
    if dimension not in _NAME_TABLES:
        return dim_key
    table, key = _NAME_TABLES[dimension]
    value: object = int(float(dim_key)) if key == "id" else dim_key
    name = table.c.name_en if lang == "en" else table.c.name_zh
    with engine.connect() as conn:
        found = conn.execute(select(name).where(table.c[key] == value)).scalar()
    return str(found or dim_key)


def run_alerts(engine: Engine, as_of: dt.date | None = None, lang: str | None = None,
               retry: Retry = DEFAULT_RETRY) -> list[int]:
    """Evaluate every rule and deliver what fired now; returns the new alert ids."""
    lang = lang or default_language()
    fired = evaluate(engine, as_of)
    if not fired:
        return []
    rules = {r.id: r for r in list_rules(engine)}
    with engine.connect() as conn:
        rows = conn.execute(select(Alert.__table__).where(Alert.id.in_(fired))).mappings().all()
    for row in rows:
        rule = rules.get(row["rule_id"])
        if rule is None or not rule.channels:
            continue
        text = alert_text(dict(row), where_name(engine, row["dimension"], row["dim_key"], lang), lang)
        deliver(engine, row["id"], rule.channels, text, retry)
    return fired


def after_import(engine: Engine) -> None:
    """The import's hook, called after its transaction committed: an alert failure never fails an import."""
    try:
        run_alerts(engine)
    except Exception:
        log.exception("alert evaluation after import failed")
