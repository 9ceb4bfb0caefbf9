"""Undo an import batch: remove exactly its rows and what was derived from them, keep the record.

Removed: the batch's action items nobody worked on yet (``act.rules.on_batch_undo``; worked-on items
stay, marked ``source_undone``), the batch's responses (their ratings follow by cascade), its rollup
rows, the customers it created that no other batch refers to, and reference rows it created (channels,
stages, touchpoints, attributes) that nothing refers to any more. A customer first seen in this batch but also answering
in a later batch is handed to that batch instead of deleted, because the customer's cascade would
otherwise take the later batch's responses with it. The batch row stays, marked ``undone``, so the
history shows what happened and by whom.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from cem_core import audit
from cem_core.act.rules import on_batch_undo
from cem_core.analyze import rollup
from cem_core.db import write_transaction
from cem_core.db.models import (
    Attribute,
    Channel,
    Customer,
    ImportBatch,
    ImportDetail,
    JourneyStage,
    Rating,
    Response,
    ResponseRollup,
    Touchpoint,
)
from cem_core.ingest.errors import IngestError
from cem_core.text import store as text_store

_REFS = {"channel": (Channel, [Response.channel_id, ResponseRollup.channel_id]),
         "stage": (JourneyStage, [Response.stage_id, ResponseRollup.stage_id, Touchpoint.stage_id]),
         "touchpoint": (Touchpoint, [Response.touchpoint_id, ResponseRollup.touchpoint_id]),
         "attribute": (Attribute, [Rating.attribute_id])}


def undo_batch(engine: Engine, batch_id: int, user: str) -> int:
    """Remove batch ``batch_id``'s data in one transaction; return the number of responses removed."""
    b, r, c = ImportBatch.__table__, Response.__table__, Customer.__table__
    with write_transaction(engine) as conn:
        row = conn.execute(select(b.c.status, b.c.content_hash).where(b.c.id == batch_id)).first()
        if row is None or row.status != "done":
            raise IngestError("ingest.undo.not_done", batch=batch_id)
        created = conn.execute(select(ImportDetail.created_refs).where(ImportDetail.batch_id == batch_id)).scalar()
        others = (select(func.min(r.c.batch_id)).where(r.c.customer_id == c.c.id, r.c.batch_id != batch_id)
                  .scalar_subquery())
        shared = and_(c.c.batch_id == batch_id,
                      exists().where(r.c.customer_id == c.c.id, r.c.batch_id != batch_id))
        conn.execute(update(c).where(shared).values(batch_id=others))
        items = on_batch_undo(conn, batch_id)
        removed = conn.execute(r.delete().where(r.c.batch_id == batch_id)).rowcount or 0
        rollup.rebuild_batches(conn, [batch_id])  # no rows left: removes the batch's share of every rollup
        text_store.rebuild_batches(conn, [batch_id])  # and of the text rollups (the batch record stays)
        conn.execute(c.delete().where(c.c.batch_id == batch_id))
        for kind, names in (json.loads(created) if created else {}).items():
            _drop_unused(conn, kind, names)
        now = dt.datetime.now()
        conn.execute(update(b).where(b.c.id == batch_id).values(status="undone"))
        conn.execute(update(ImportDetail.__table__).where(ImportDetail.batch_id == batch_id)
                     .values(undone_by=user, undone_at=now))
        audit.record(conn, user, "undo", target=f"batch:{batch_id}", rows=int(removed), file_hash=row.content_hash,
                     detail={"batch_id": batch_id, "rows_removed": int(removed), **items})
    return int(removed)


def _drop_unused(conn, kind: str, names: list[str]) -> None:
    if kind not in _REFS:
        return
    model, users = _REFS[kind]
    table = model.__table__
    for rid in conn.execute(select(table.c.id).where(table.c.name_zh.in_(names))).scalars():
        if any(conn.execute(select(func.count()).where(col == rid)).scalar_one() for col in users):
            continue
        try:
            with conn.begin_nested():  # a table of another area may still refer to it: then keep it
                conn.execute(table.delete().where(table.c.id == rid))
        except IntegrityError:
            continue
