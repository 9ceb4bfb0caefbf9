"""Row keys re-computed from the stored values with the explicit function of ``cem_core.ingest.row_key``.

Keys before this revision came from ``pandas.util.hash_pandas_object`` (keyed with the PII hash key),
whose output pandas does not promise to keep across releases. Every imported response gets its key
again from what the row stores (date, ids, scores, texts, its customer and its attribute ratings), so a
file imported before the upgrade, imported again after it, adds no row. Demo rows keep their
``demo-...`` keys: the demo loader never matches them against files.

Two stored rows that the new definition calls one response (the same customer, second, channel, scores
and texts, once with a phone and once with an email) both stay: the second keeps its old key, which no
new key can equal, and a file carrying that row again is counted as a duplicate of the first.

The work is done in slices of ``SLICE`` responses by id, each with its ratings: one read and one update
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

import pandas as pd
import sqlalchemy as sa
from alembic import op

from cem_core.db.bulk import deferred_indexes
from cem_core.ingest.row_key import CONTENT_FIELDS, content_digests, rating_texts, row_keys

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SLICE = 50_000
_IDS = ("channel_id", "stage_id", "touchpoint_id", "customer_id")


def _ratings(bind: sa.Connection, lo: int, hi: int, ids: list[int]) -> list[str]:
    scores: dict[int, dict[int, int]] = {}
    for rid, aid, score in bind.execute(sa.text(
            "SELECT response_id, attribute_id, score FROM ratings WHERE response_id BETWEEN :lo AND :hi"),
            {"lo": lo, "hi": hi}):
        scores.setdefault(int(aid), {})[int(rid)] = int(score)
    return rating_texts(len(ids), {aid: [by_row.get(i) for i in ids] for aid, by_row in scores.items()})


def _store(bind: sa.Connection, ids: list[int], keys: list[str]) -> None:
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("UPDATE responses AS r SET row_key = v.k FROM unnest(CAST(:ids AS bigint[]), "
                             "CAST(:keys AS text[])) AS v(id, k) WHERE r.id = v.id"), {"ids": ids, "keys": keys})
    else:
        bind.exec_driver_sql("UPDATE responses SET row_key = ? WHERE id = ?", list(zip(keys, ids, strict=True)))


def _rekey(bind: sa.Connection) -> None:
    columns = ("id", *_IDS, *CONTENT_FIELDS)
    select = sa.text(f"SELECT {', '.join('r.' + c for c in columns)} FROM responses r "
                     "JOIN import_batches b ON b.id = r.batch_id "
                     "WHERE r.id > :after AND NOT b.is_demo ORDER BY r.id LIMIT :n")
    seen: set[str] = set()
    after = 0
    while rows := bind.execute(select, {"after": after, "n": SLICE}).all():
        frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
        ids = [int(i) for i in frame["id"]]
        after = ids[-1]
        keys = row_keys(content_digests(frame), *(frame[c].tolist() for c in _IDS),
                        _ratings(bind, ids[0], ids[-1], ids))
        fresh = []
        for i, k in zip(ids, keys, strict=True):
            if k not in seen:
                seen.add(k)
                fresh.append((i, k))
        if fresh:
            _store(bind, [i for i, _ in fresh], [k for _, k in fresh])


def upgrade() -> None:
    # Every row is rewritten: maintaining the indexes row by row costs more than one rebuild, and the
    # rebuild of the unique row-key index still refuses a duplicate.
    with deferred_indexes(op.get_bind(), ("responses",)):
        _rekey(op.get_bind())


def downgrade() -> None:
    """Nothing to undo in the schema; the keys stay (see the module docstring)."""
