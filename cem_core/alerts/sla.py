"""SLA breaches piling up in a department: of the follow-up items created in the current period (the
same grid as every rule, ``findings.periods``, on the calendar's today), the share that breached their
due time rose significantly against the previous period, with at least ``min_n`` breaches now.

Figures are the Actions page's own (``act.figures.loop_figures``: breached / with a due time per
department); the test is the two-proportion z-test of ``analyze.stats``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from cem_core.act.figures import loop_figures
from cem_core.alerts.findings import Finding, periods
from cem_core.alerts.rules import Rule
from cem_core.analyze.stats import proportion_diff_p


def find_sla(engine: Engine, rule: Rule, today: dt.date, now: dt.datetime | None = None) -> list[Finding]:
    prev_from, prev_to, cur_from, cur_to = periods(today, rule.window_days)
    now = now or dt.datetime.combine(today, dt.time(23, 59, 59))
    cur = loop_figures(engine, "en", date_from=cur_from, date_to=min(cur_to, today), now=now)
    prev = loop_figures(engine, "en", date_from=prev_from, date_to=prev_to, now=now).set_index("department_code")
    found = []
    for row in cur[cur["department_code"] != ""].itertuples(index=False):
        if row.department_code not in prev.index or row.breached < rule.min_n:
            continue
        before = prev.loc[row.department_code]
        if not before["with_due"] or not row.with_due:
            continue
        rate, rate_before = 100.0 * row.breached / row.with_due, 100.0 * before["breached"] / before["with_due"]
        if rate <= rate_before:
            continue
        p = proportion_diff_p(int(row.breached), int(row.with_due), int(before["breached"]), int(before["with_due"]))
        if p is None or p > rule.max_p:
            continue
        found.append(Finding(rule.id, "sla", "department", row.department_code, cur_from, cur_to, rate, rate_before,
                             int(row.with_due), int(before["with_due"]), p))
    return found
