"""Import history: every batch with file, content hash, source, user, time, counts, duration and status."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Engine, func, select

from cem_core.db.models import ImportBatch, ImportDetail

HISTORY_COLUMNS = ("id", "file_name", "content_hash", "source", "user_name", "started_at", "rows_imported",
                   "rows_skipped", "rows_duplicate", "duration_s", "status", "is_demo", "error", "undone_by",
                   "undone_at", "created_refs")


def list_batches(engine: Engine, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Newest first, one page of ``limit`` batches (the history never loads every batch at once)."""
    b, d = ImportBatch.__table__.c, ImportDetail.__table__.c
    stmt = (select(b.id, b.file_name, b.content_hash, b.source, b.user_name, b.started_at, b.rows_imported,
                   b.rows_skipped, b.rows_duplicate, b.duration_s, b.status, b.is_demo, d.error, d.undone_by,
                   d.undone_at, d.created_refs)
            .select_from(ImportBatch.__table__.outerjoin(ImportDetail.__table__, d.batch_id == b.id))
            .order_by(b.id.desc()).limit(limit).offset(offset))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=list(HISTORY_COLUMNS))
    frame["created_refs"] = frame["created_refs"].map(lambda v: json.loads(v) if v else {})
    return frame


def count_batches(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ImportBatch)).scalar_one())
