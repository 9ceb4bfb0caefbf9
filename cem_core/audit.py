"""The audit log: writing entries (uploads, imports, undo, exports, unmasked views, sign-ins, changes to
users and settings) and reading them for the admin page.

Callers pass counts, hashes and ids, never names, phones or emails: ``detail`` is checked for values
that look like personal data before it is written. Entries made outside a data change (sign-ins,
exports, unmasked views) go through ``auth.journal`` so they never wait for a running import. Reading
filters and pages in SQL; the export reads at most ``EXPORT_LIMIT`` entries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, Select, func, select

from cem_core.auth import journal
from cem_core.db.models import AuditEntry
from cem_core.privacy.masking import mask_text

_table = AuditEntry.__table__
EXPORT_LIMIT = 100_000
COLUMNS = ("at", "actor", "action", "target", "rows", "file_hash", "detail")


def entry(actor: str, action: str, *, target: str | None = None, rows: int | None = None,
          file_hash: str | None = None, detail: dict[str, object] | None = None) -> dict[str, object]:
    """The values of one audit entry, refused if ``detail`` holds something that looks like personal data."""
    text = None
    if detail:
        text = json.dumps(detail, ensure_ascii=False, default=str)
        if mask_text(text) != text:
            raise ValueError("audit detail must not contain phone numbers or emails")
    return {"at": dt.datetime.now(), "actor": actor, "action": action, "target": target, "rows": rows,
            "file_hash": file_hash, "detail": text}


def record(target_db: Engine | Connection, actor: str, action: str, *, target: str | None = None,
           rows: int | None = None, file_hash: str | None = None, detail: dict[str, object] | None = None) -> None:
    """Append one audit entry: inside the caller's transaction when given a Connection, else without
    waiting for a running import (``journal.write``)."""
    values = entry(actor, action, target=target, rows=rows, file_hash=file_hash, detail=detail)
    if isinstance(target_db, Connection):
        target_db.execute(_table.insert().values(**values))
    else:
        journal.write(target_db, audit=[values])


@dataclass(frozen=True)
class AuditFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    actors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


def _where(stmt: Select, f: AuditFilter) -> Select:
    c = _table.c
    if f.date_from is not None:
        stmt = stmt.where(c.at >= dt.datetime.combine(f.date_from, dt.time.min))
    if f.date_to is not None:
        stmt = stmt.where(c.at < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min))
    if f.actors:
        stmt = stmt.where(c.actor.in_(f.actors))
    if f.actions:
        stmt = stmt.where(c.action.in_(f.actions))
    return stmt


def distinct_values(engine: Engine, column: str) -> list[str]:
    """Actors or actions that occur in the log, for the filter widgets."""
    col = _table.c[column]
    with engine.connect() as conn:
        return list(conn.execute(select(col).distinct().order_by(col)).scalars())


def count_entries(engine: Engine, f: AuditFilter) -> int:
    with engine.connect() as conn:
        return int(conn.execute(_where(select(func.count()).select_from(_table), f)).scalar_one())


def entries(engine: Engine, f: AuditFilter, *, limit: int = 200, offset: int = 0) -> pd.DataFrame:
    """Newest first; one page of ``limit`` entries."""
    stmt = _where(select(*(_table.c[c] for c in COLUMNS)), f).order_by(_table.c.at.desc(), _table.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit).offset(offset)).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def export_frame(engine: Engine, f: AuditFilter) -> pd.DataFrame:
    return entries(engine, f, limit=EXPORT_LIMIT)
