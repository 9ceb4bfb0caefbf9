"""Trust (issue 11, sign-in part): no published demo password survives, and import errors are stored as
message keys so they read in the viewer's language.

1. Demo accounts no longer exist as rows: they have no password and are opened with the server's start
   token (``cem_core.auth.start_token``). Rows left by older versions carry the published passwords
   ``demo-<role>-pass``, so they are deleted (their audit entries stay). Sign-in also ignores such rows.
2. ``import_details.error`` held English text. Each old text is matched against the English form of
   every ``ingest.err.*`` message; a match is stored as ``{"key": ..., "values": {...}}`` (what
   ``IngestError.stored`` writes now), anything else is kept as it is and shown as it is.

Downgrade turns stored keys back into English text; the deleted demo rows are not recreated (they were
the problem).

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

from cem_core.i18n import MESSAGES, t

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

_details = sa.table("import_details", sa.column("batch_id", sa.Integer), sa.column("error", sa.Text))
_users = sa.table("users", sa.column("id", sa.Integer), sa.column("is_demo", sa.Boolean))
_links = sa.table("user_departments", sa.column("user_id", sa.Integer))


def _pattern(english: str) -> re.Pattern[str]:
    """The English template as a regex: each ``{name}`` captures any text."""
    parts = re.split(r"\{(\w+)\}", english)
    body = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))
    return re.compile(f"^{body}$", re.S)


def parse_english(text: str) -> dict[str, object] | None:
    """Key and values of the ``ingest.err.*`` message whose English form ``text`` is, or None."""
    for key, (_zh, en) in MESSAGES.items():
        if key.startswith("ingest.err."):
            found = _pattern(en).match(text)
            if found:
                return {"key": key, "values": found.groupdict()}
    return None


def upgrade() -> None:
    bind = op.get_bind()
    demo_ids = [r[0] for r in bind.execute(sa.select(_users.c.id).where(_users.c.is_demo.is_(True)))]
    if demo_ids:
        bind.execute(_links.delete().where(_links.c.user_id.in_(demo_ids)))
        bind.execute(_users.delete().where(_users.c.id.in_(demo_ids)))
    rows = bind.execute(sa.select(_details.c.batch_id, _details.c.error).where(_details.c.error.is_not(None))).all()
    for batch_id, text in rows:
        if text.startswith("{"):
            continue  # already stored as a key
        parsed = parse_english(text)
        if parsed is not None:
            bind.execute(_details.update().where(_details.c.batch_id == batch_id)
                         .values(error=json.dumps(parsed, ensure_ascii=False)))


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_details.c.batch_id, _details.c.error).where(_details.c.error.like("{%"))).all()
    for batch_id, stored in rows:
        data = json.loads(stored)
        bind.execute(_details.update().where(_details.c.batch_id == batch_id)
                     .values(error=t(data["key"], "en", **data.get("values", {}))))
