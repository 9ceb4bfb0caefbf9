"""The audit log: uploads, imports, undo, exports, unmasked views, sign-ins, changes to users and settings.

Callers pass counts, hashes and ids, never names, phones or emails: ``detail`` is checked for values
that look like personal data before it is written. Entries made outside a data change (sign-ins,
exports, unmasked views) go through ``auth.journal`` so they never wait for a running import.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine

from cem_core.auth import journal
from cem_core.models import AuditEntry
from cem_core.pii import mask_text

_table = AuditEntry.__table__


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
