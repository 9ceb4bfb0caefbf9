"""Row keys of the responses whose customer migration 0008 merged, recomputed.

A row key covers the row's customer id (``ingest.row_key``: the resolved id, so a row with a phone and
the same row with the customer's id are one response). Migration 0007 keyed every stored row with the
customer ids of that moment; 0008 then merged customers whose phones match in E.164 and re-pointed their
responses to the surviving customer, but left the keys made with the merged customer's id. A file
imported before the upgrade, imported again after it, resolves that phone to the survivor, gets other
keys, and its rows of a merged customer were stored a second time.

Which customers 0008 merged is not recorded, so every imported row's key is recomputed from its stored
values (``ingest.rekey.slices``), and only the rows whose key changes are written. A row takes its new key
unless another stored row already holds it (the same response, stored once per spelling of the phone
before the merge): then it keeps its old key, which no new key can equal, and a file carrying that
response again is counted as a duplicate of the row that holds the key. The unique row-key index stays
in place throughout: it answers those checks and refuses anything this pass would get wrong.

Downgrade keeps the keys: they are what the stored values give.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

from cem_core.ingest import rekey
from cem_core.ingest.resolve import lookup

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for ids, stored, keys in rekey.slices(bind):
        changed = [(i, k) for i, old, k in zip(ids, stored, keys, strict=True) if old != k]
        if not changed:
            continue
        held = {r[0] for r in lookup(bind, "responses", ("row_key",), "row_key", [k for _, k in changed])}
        claim: dict[str, int] = {}
        for i, k in changed:
            if k not in held:
                claim.setdefault(k, i)  # two changed rows, one response: the first (lowest id) takes the key
        if claim:
            rekey.store(bind, list(claim.values()), list(claim))


def downgrade() -> None:
    """Nothing to undo: the recomputed keys are what the stored values give."""
