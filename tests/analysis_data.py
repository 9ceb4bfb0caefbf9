"""Hand-made feedback for analysis tests: a few rows whose answers are known, stored through the real schema."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from cem_core.analyze import rollup
from cem_core.db import write_transaction
from cem_core.db.models import Attribute, Channel, Customer, ImportBatch, JourneyStage, Rating, Response
from cem_core.reference import ensure_base

STAGES = (("s1", "阶段一", "Stage one"), ("s2", "阶段二", "Stage two"))


def load_rows(engine: Engine, rows: list[dict[str, object]], ratings: dict[str, object] | None = None) -> int:
    """Store ``rows`` (keys: nps, csat, ces, spend, region, product, segment, channel, stage, day, comment,
    name, phone) as one batch; ``ratings`` maps an attribute code to one score per row (0 = not rated)."""
    with write_transaction(engine) as conn:
        ensure_base(conn)
        channel = dict(conn.execute(select(Channel.code, Channel.id)).all())
        stage = {}
        for pos, (code, zh, en) in enumerate(STAGES):
            stage[code] = conn.execute(JourneyStage.__table__.insert().values(
                code=code, name_zh=zh, name_en=en, position=pos)).inserted_primary_key[0]
        batch = conn.execute(ImportBatch.__table__.insert().values(
            file_name="hand-made", content_hash="x", started_at=dt.datetime(2025, 1, 1), status="done",
            rows_imported=len(rows))).inserted_primary_key[0]
        ids = []
        for i, r in enumerate(rows):
            customer = None
            if r.get("name") or r.get("phone"):
                customer = conn.execute(Customer.__table__.insert().values(
                    name=r.get("name"), phone=r.get("phone"), batch_id=batch)).inserted_primary_key[0]
            day = r.get("day", dt.date(2025, 1, 1))
            ids.append(conn.execute(Response.__table__.insert().values(
                batch_id=batch, row_key=f"hand-{i}", customer_id=customer,
                channel_id=channel[r.get("channel", "sms_survey")], stage_id=stage[r.get("stage", "s1")],
                occurred_at=dt.datetime.combine(day, dt.time(12, 0)) + dt.timedelta(seconds=i), occurred_date=day,
                nps=r.get("nps"), csat=r.get("csat"), ces=r.get("ces"), spend=r.get("spend"),
                region=r.get("region"), product=r.get("product"), segment=r.get("segment"),
                comment=r.get("comment"))).inserted_primary_key[0])
        for code, scores in (ratings or {}).items():
            attr = conn.execute(Attribute.__table__.insert().values(code=code, name_zh=code, name_en=code)
                                ).inserted_primary_key[0]
            for rid, score in zip(ids, scores, strict=True):
                if int(score):
                    conn.execute(Rating.__table__.insert().values(response_id=rid, attribute_id=attr, score=int(score)))
        rollup.add_batch(conn, batch)
    return int(batch)
