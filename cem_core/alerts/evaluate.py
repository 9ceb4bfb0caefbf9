"""Evaluate alert rules: significant drops against the previous period, each finding fired once.

Periods sit on a fixed grid of ``window_days`` (day ordinal // window), so the current period is the grid
cell holding the newest feedback and the previous one is the cell before it, of equal length. The finding
key is (rule, dimension value, period): re-running on the same data, or importing more rows into the same
period, finds the same key, and the unique constraint on ``alerts.finding_key`` refuses a second alert
even from two evaluations at once. Figures come from ``analyze.trends.daily`` and the p-values from the
tests the trend page uses (``analyze.stats``), so an alert and the page cannot disagree.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cem_core.alerts.findings import Finding, periods
from cem_core.alerts.rules import DIMENSIONS, SLA, SPIKES, Rule, list_rules
from cem_core.alerts.sla import find_sla
from cem_core.alerts.spikes import find_spikes
from cem_core.analyze.metrics import NpsResult
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.analyze.stats import nps_diff_p, proportion_diff_p, welch_p
from cem_core.analyze.trends import DAILY_COLUMNS, daily
from cem_core.db import write_transaction
from cem_core.db.models import Alert, Channel, JourneyStage

_alerts = Alert.__table__
#: Dimensions keyed by an id column are stored by code (touchpoints by id: their codes repeat across stages).
_CODE_TABLES = {"channel": Channel.__table__, "stage": JourneyStage.__table__}


def value_and_n(m: pd.Series, measure: str) -> tuple[float | None, int]:
    """The measure's value and n from summed daily figures (as ``trends.trend`` computes them)."""
    if measure == "nps":
        n = int(m["nps_n"])
        return (100.0 * (m["promoters"] - m["detractors"]) / n if n else None), n
    if measure == "csat":
        n = int(m["csat_n"])
        return (100.0 * m["csat_top2"] / n if n else None), n
    n = int(m["ces_n"])
    return (float(m["ces_sum"]) / n if n else None), n


def p_value(cur: pd.Series, prev: pd.Series, measure: str) -> float | None:
    if measure == "nps":
        def nps(m: pd.Series) -> NpsResult:
            n, p, d = int(m["nps_n"]), int(m["promoters"]), int(m["detractors"])
            return NpsResult(n, p, n - p - d, d)
        return nps_diff_p(nps(cur), nps(prev))
    if measure == "csat":
        return proportion_diff_p(int(cur["csat_top2"]), int(cur["csat_n"]), int(prev["csat_top2"]), int(prev["csat_n"]))
    return welch_p(int(cur["ces_n"]), float(cur["ces_sum"]), float(cur["ces_sq"]),
                   int(prev["ces_n"]), float(prev["ces_sum"]), float(prev["ces_sq"]))


def _codes(engine: Engine, dimension: str) -> dict[object, str]:
    table = _CODE_TABLES.get(dimension)
    if table is None:
        return {}
    with engine.connect() as conn:
        return {i: c for i, c in conn.execute(select(table.c.id, table.c.code))}


def find_drops(engine: Engine, rule: Rule, as_of: dt.date) -> list[Finding]:
    """The rule's significant drops in the grid period holding ``as_of`` (one aggregate query)."""
    prev_from, _, cur_from, cur_to = periods(as_of, rule.window_days)
    column = DIMENSIONS[rule.dimension]
    days = daily(engine, Filters(date_from=prev_from, date_to=min(cur_to, as_of)), by=column)
    if days.empty:
        return []
    if column is None:
        days = days.assign(key="")
    days = days.dropna(subset=["key"])
    days["current"] = pd.to_datetime(days["day"]) >= pd.Timestamp(cur_from)
    sums = days.groupby(["key", "current"])[list(DAILY_COLUMNS)].sum()
    codes = _codes(engine, rule.dimension)
    found = []
    for key in sums.index.get_level_values(0).unique():
        if (key, True) not in sums.index or (key, False) not in sums.index:
            continue
        cur, prev = sums.loc[(key, True)], sums.loc[(key, False)]
        cv, cn = value_and_n(cur, rule.measure)
        pv, pn = value_and_n(prev, rule.measure)
        if cv is None or pv is None or cn < rule.min_n or pn < rule.min_n or cv >= pv:
            continue
        p = p_value(cur, prev, rule.measure)
        if p is None or p > rule.max_p:
            continue
        if isinstance(key, float) and key.is_integer():  # an id column with NULLs comes back as float
            key = int(key)
        dim_key = None if column is None else str(codes.get(key, key))
        found.append(Finding(rule.id, rule.measure, rule.dimension, dim_key, cur_from, cur_to, cv, pv, cn, pn, p))
    return found


def _insert_new(engine: Engine, findings: list[Finding]) -> list[int]:
    """Insert findings not fired before; the unique finding key makes a repeat a no-op, even concurrently."""
    new: list[int] = []
    with write_transaction(engine) as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        for f in findings:
            stmt = insert(_alerts).values(
                rule_id=f.rule_id, finding_key=f.key, created_at=dt.datetime.now(), measure=f.measure,
                dimension=f.dimension, dim_key=f.dim_key, date_from=f.date_from, date_to=f.date_to,
                current=f.current, previous=f.previous, n_current=f.n_current, n_previous=f.n_previous,
                p_value=f.p_value).on_conflict_do_nothing(index_elements=["finding_key"]).returning(_alerts.c.id)
            alert_id = conn.execute(stmt).scalar()
            if alert_id is not None:
                new.append(int(alert_id))
    return new


def evaluate(engine: Engine, as_of: dt.date | None = None) -> list[int]:
    """Evaluate every enabled rule on the newest data; returns the ids of alerts fired now (not delivered)."""
    rules = list_rules(engine, enabled_only=True)
    if not rules:
        return []
    newest = as_of or date_bounds(engine)[1]
    findings: list[Finding] = []
    for rule in rules:
        if rule.measure == SLA:  # items are live: their period is the calendar's, not the feedback's
            findings += find_sla(engine, rule, as_of or dt.date.today())
        elif newest is not None:
            findings += (find_spikes if rule.measure in SPIKES else find_drops)(engine, rule, newest)
    return _insert_new(engine, findings) if findings else []
