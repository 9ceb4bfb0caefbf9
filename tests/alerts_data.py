"""Feedback with a planted drop for alert tests: touchpoint "tp_drop" falls from NPS +50 to -10 between two
28-day periods; "tp_small" falls as far on 10 answers a period; "tp_flat" stays where it was."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update

from cem_core.alerts.evaluate import periods
from cem_core.analyze.rollup import rebuild_all
from cem_core.db import write_transaction
from cem_core.db.models import JourneyStage, Response, Touchpoint
from cem_core.text.store import add_batch as add_text_batch
from tests.analysis_data import load_rows

AS_OF = dt.date(2025, 3, 20)
WINDOW = 28


def scores(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [8] * passives + [3] * detractors


#: touchpoint -> (previous period NPS scores, current period NPS scores)
PLAN = {
    "tp_drop": (scores(120, 60, 20), scores(60, 60, 80)),  # +50 -> -10 on 200 a period
    "tp_small": (scores(6, 3, 1), scores(3, 3, 4)),  # the same drop on 10 a period
    "tp_flat": (scores(100, 60, 40), scores(101, 58, 41)),
}


def load_planted(engine: Engine) -> None:
    prev_from, _, cur_from, _ = periods(AS_OF, WINDOW)
    rows, owner = [], []
    for tp, (before, after) in PLAN.items():
        for period_start, values in ((prev_from, before), (cur_from, after)):
            for i, nps in enumerate(values):
                day = period_start + dt.timedelta(days=i % WINDOW)
                if day > AS_OF:
                    day = AS_OF
                rows.append({"nps": nps, "csat": 5 if nps >= 9 else 2, "ces": 6 if nps >= 9 else 2, "day": day,
                             "segment": tp})
                owner.append(tp)
    load_rows(engine, rows)
    with write_transaction(engine) as conn:
        stage = conn.execute(select(JourneyStage.id).limit(1)).scalar_one()
        ids = {}
        for tp in PLAN:
            ids[tp] = conn.execute(Touchpoint.__table__.insert().values(
                stage_id=stage, code=tp, name_zh=tp, name_en=tp)).inserted_primary_key[0]
        for tp in PLAN:
            keys = [f"hand-{i}" for i, o in enumerate(owner) if o == tp]
            conn.execute(update(Response).where(Response.row_key.in_(keys)).values(touchpoint_id=ids[tp]))
        rebuild_all(conn)  # the rows changed after load_rows: keep the rollup contract


def load_text_spike(engine: Engine) -> None:
    """Comments analysed as the import does: 8 of 80 complain about waiting and the service before, 40 of 80
    now, so the negative share and the complained-of topics rise significantly."""
    prev_from, _, cur_from, _ = periods(AS_OF, WINDOW)
    good, bad = "服务很好，非常满意", "等待时间太长，服务态度很差"
    rows = [{"nps": 9, "day": prev_from + dt.timedelta(days=i % 20), "comment": bad if i < 8 else good}
            for i in range(80)]
    rows += [{"nps": 3, "day": cur_from + dt.timedelta(days=i % 5), "comment": bad if i < 40 else good}
             for i in range(80)]
    batch = load_rows(engine, rows)
    with write_transaction(engine) as conn:
        add_text_batch(conn, batch)
