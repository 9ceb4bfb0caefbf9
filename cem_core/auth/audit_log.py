"""Reading the audit log for the admin page: filtered by date, actor and action, paged, exportable.

Filtering and paging run in SQL; the export reads at most ``EXPORT_LIMIT`` entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from cem_core.models import AuditEntry

EXPORT_LIMIT = 100_000
COLUMNS = ("at", "actor", "action", "target", "rows", "file_hash", "detail")
_log = AuditEntry.__table__


@dataclass(frozen=True)
class AuditFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    actors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


def _where(stmt: Select, f: AuditFilter) -> Select:
    c = _log.c
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
    col = _log.c[column]
    with engine.connect() as conn:
        return list(conn.execute(select(col).distinct().order_by(col)).scalars())


def count_entries(engine: Engine, f: AuditFilter) -> int:
    with engine.connect() as conn:
        return int(conn.execute(_where(select(func.count()).select_from(_log), f)).scalar_one())


def entries(engine: Engine, f: AuditFilter, *, limit: int = 200, offset: int = 0) -> pd.DataFrame:
    """Newest first; one page of ``limit`` entries."""
    stmt = _where(select(*(_log.c[c] for c in COLUMNS)), f).order_by(_log.c.at.desc(), _log.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit).offset(offset)).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def export_frame(engine: Engine, f: AuditFilter) -> pd.DataFrame:
    return entries(engine, f, limit=EXPORT_LIMIT)
