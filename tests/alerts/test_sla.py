"""SLA rule: a department whose follow-ups breach their due time far more often than last period fires once;
a department with the same rise on few items does not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from cem_core.alerts.evaluate import evaluate, periods
from cem_core.alerts.rules import Rule, save_rule
from cem_core.analyze.stats import proportion_diff_p
from cem_core.db import write_transaction
from cem_core.db.models import ActionItem, Alert, Department

TODAY = dt.date(2026, 5, 20)
WINDOW = 28


def _items(engine, plan: dict[str, tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """plan: department code -> ((breached, on time) previous period, (breached, on time) current period)."""
    prev_from, _, cur_from, _ = periods(TODAY, WINDOW)
    with write_transaction(engine) as conn:
        for code, periods_plan in plan.items():
            dept = conn.execute(Department.__table__.insert().values(code=code, name_zh=code, name_en=code)
                                ).inserted_primary_key[0]
            for start, (late, on_time) in zip((prev_from, cur_from), periods_plan, strict=True):
                for i in range(late + on_time):
                    created = dt.datetime.combine(start + dt.timedelta(days=i % 5), dt.time(9))
                    due = created + dt.timedelta(hours=24)
                    resolved = due + dt.timedelta(hours=5) if i < late else created + dt.timedelta(hours=2)
                    conn.execute(ActionItem.__table__.insert().values(
                        department_id=dept, kind="detractor", priority="high", status="resolved",
                        created_at=created, due_at=due, resolved_at=resolved))


def test_sla_breaches_piling_up_fire_once(engine):
    _items(engine, {"svc": ((5, 45), (30, 20)), "small": ((1, 9), (6, 4))})
    save_rule(engine, Rule("sla", measure="sla", dimension="department", window_days=WINDOW, min_n=10), "admin")
    fired = evaluate(engine, TODAY)
    with engine.connect() as conn:
        rows = conn.execute(select(Alert.dim_key, Alert.previous, Alert.current, Alert.p_value)
                            .where(Alert.id.in_(fired))).all()
    assert [r.dim_key for r in rows] == ["svc"]  # "small" rose as much on 6 breaches: below min_n
    assert (rows[0].previous, rows[0].current) == pytest.approx((10.0, 60.0))
    assert rows[0].p_value == pytest.approx(proportion_diff_p(30, 50, 5, 50))
    assert evaluate(engine, TODAY) == []


def test_sla_rule_is_per_department_only():
    with pytest.raises(ValueError):
        Rule("x", measure="sla", dimension="overall")
    with pytest.raises(ValueError):
        Rule("x", measure="nps", dimension="department")
