"""The audit log: uploads, imports, undo, exports, unmasked views, sign-ins, changes to users and settings.

Callers pass counts, hashes and ids, never names, phones or emails: ``detail`` is checked for values
that look like personal data before it is written.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, Engine

from cem_core.models import AuditEntry
from cem_core.privacy.masking import mask_text

_table = AuditEntry.__table__


def record(target_db: Engine | Connection, actor: str, action: str, *, target: str | None = None,
           rows: int | None = None, file_hash: str | None = None, detail: dict[str, object] | None = None) -> None:
    """Append one audit entry; inside the caller's transaction when given a Connection."""
    text = None
    if detail:
        text = json.dumps(detail, ensure_ascii=False, default=str)
        if mask_text(text) != text:
            raise ValueError("audit detail must not contain phone numbers or emails")
    values = {"at": dt.datetime.now(), "actor": actor, "action": action, "target": target, "rows": rows,
              "file_hash": file_hash, "detail": text}
    if isinstance(target_db, Connection):
        target_db.execute(_table.insert().values(**values))
    else:
        with target_db.begin() as conn:
            conn.execute(_table.insert().values(**values))
