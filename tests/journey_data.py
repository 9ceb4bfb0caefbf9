"""Hand-made journeys for journey tests, stored through the real schema on the hotel template."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from cem_core.analyze import rollup
from cem_core.db import write_transaction
from cem_core.db.models import Customer, ImportBatch, Response
from cem_core.demo.catalog import INDUSTRIES
from cem_core.reference import ensure_industry

#: One step of a journey: (touchpoint "stage/tp" code, CSAT or None, overall rating or None).
Step = tuple[str, int | None, int | None]


def load_journeys(engine: Engine, journeys: dict[str, list[Step]], customer: dict[str, str] | None = None,
                  day: dt.date = dt.date(2025, 3, 1)) -> dict[str, int]:
    """Store each journey (steps in order, step numbers 1..n) as one batch; returns touchpoint code -> id.
    ``customer`` (name, phone, email, customer_key) owns every journey when given."""
    with write_transaction(engine) as conn:
        ids = ensure_industry(conn, INDUSTRIES["hotel"])
        batch = conn.execute(ImportBatch.__table__.insert().values(
            file_name="journeys", content_hash="j", started_at=dt.datetime(2025, 1, 1), status="done",
            rows_imported=sum(len(s) for s in journeys.values()))).inserted_primary_key[0]
        cust = None
        if customer:
            cust = conn.execute(Customer.__table__.insert().values(batch_id=batch, **customer)).inserted_primary_key[0]
        n = 0
        for key, steps in journeys.items():
            for step, (tp, csat, overall) in enumerate(steps, start=1):
                at = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(hours=n)
                conn.execute(Response.__table__.insert().values(
                    batch_id=batch, row_key=f"{key}-{step}", customer_id=cust, channel_id=ids["channel"]["sms_survey"],
                    stage_id=ids["stage"][tp.split("/")[0]], touchpoint_id=ids["touchpoint"][tp], occurred_at=at,
                    occurred_date=at.date(), journey_key=key, journey_step=step, csat=csat, overall_sat=overall,
                    nps=None if csat is None else min(10, 2 * csat), comment=f"step {step} of {key}"))
                n += 1
        rollup.add_batch(conn, batch)
    return ids["touchpoint"]
