"""Row keys re-computed from the stored values with the explicit function of ``cem_core.ingest.row_key``.

Keys before this revision came from ``pandas.util.hash_pandas_object`` (keyed with the PII hash key),
whose output pandas does not promise to keep across releases. Every imported response gets its key
again from what the row stores (date, ids, scores, texts, its customer and its attribute ratings), so a
file imported before the upgrade, imported again after it, adds no row. Demo rows keep their
``demo-...`` keys: the demo loader never matches them against files.

Two stored rows that the new definition calls one response (the same customer, second, channel, scores
and texts, once with a phone and once with an email) both stay: the second keeps its old key, which no
new key can equal, and a file carrying that row again is counted as a duplicate of the first.

The work is done in slices of ``rekey.SLICE`` responses by id, each with its ratings: one read and one update
statement per slice (an ``unnest`` join on Postgres, executemany on SQLite), with the secondary indexes
of ``responses`` dropped meanwhile and rebuilt once at the end (``bulk.deferred_indexes``).

Measured with ``bench/bench_rekey.py`` at 100k imported responses on a shared 2-core machine: 5.6 s on
SQLite, 13.2 s on Postgres (15.8 s there with the indexes maintained row by row); about ten times that
at a million.

Downgrade keeps the new keys: the old ones cannot be recomputed portably. An older release would then
import a re-sent file's rows again, which is why downgrading past this revision is not advised.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.bulk import deferred_indexes
from cem_core.ingest import rekey

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _rekey(bind: sa.Connection) -> None:
    seen: set[str] = set()
    for ids, _stored, keys in rekey.slices(bind):
        fresh = []
        for i, k in zip(ids, keys, strict=True):
            if k not in seen:
                seen.add(k)
                fresh.append((i, k))
        if fresh:
            rekey.store(bind, [i for i, _ in fresh], [k for _, k in fresh])


def upgrade() -> None:
    # Every row is rewritten: maintaining the indexes row by row costs more than one rebuild, and the
    # rebuild of the unique row-key index still refuses a duplicate.
    with deferred_indexes(op.get_bind(), ("responses",)):
        _rekey(op.get_bind())


def downgrade() -> None:
    """Nothing to undo in the schema; the keys stay (see the module docstring)."""
