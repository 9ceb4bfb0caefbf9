"""Stored row keys recomputed from the stored values (``row_key``), slice by slice: what the migrations that
re-key rows (0007: a new key definition; 0016: customers merged by 0008) share.

Only imported rows are read: demo rows keep their ``demo-...`` keys, the demo loader never matches them
against files.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import sqlalchemy as sa

from cem_core.ingest.row_key import CONTENT_FIELDS, content_digests, rating_texts, row_keys

SLICE = 50_000
_IDS = ("channel_id", "stage_id", "touchpoint_id", "customer_id")


def _ratings(bind: sa.Connection, lo: int, hi: int, ids: list[int]) -> list[str]:
    scores: dict[int, dict[int, int]] = {}
    for rid, aid, score in bind.execute(sa.text(
            "SELECT response_id, attribute_id, score FROM ratings WHERE response_id BETWEEN :lo AND :hi"),
            {"lo": lo, "hi": hi}):
        scores.setdefault(int(aid), {})[int(rid)] = int(score)
    return rating_texts(len(ids), {aid: [by_row.get(i) for i in ids] for aid, by_row in scores.items()})


def slices(bind: sa.Connection, size: int = SLICE) -> Iterator[tuple[list[int], list[str], list[str]]]:
    """Per slice of ``size`` imported responses in id order: their ids, their stored keys and the keys their
    stored values give now (date, ids, scores, texts, customer, attribute ratings)."""
    columns = ("id", "row_key", *_IDS, *CONTENT_FIELDS)
    select = sa.text(f"SELECT {', '.join('r.' + c for c in columns)} FROM responses r "
                     "JOIN import_batches b ON b.id = r.batch_id "
                     "WHERE r.id > :after AND NOT b.is_demo ORDER BY r.id LIMIT :n")
    after = 0
    while rows := bind.execute(select, {"after": after, "n": size}).all():
        frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
        ids = [int(i) for i in frame["id"]]
        after = ids[-1]
        keys = row_keys(content_digests(frame), *(frame[c].tolist() for c in _IDS),
                        _ratings(bind, ids[0], ids[-1], ids))
        yield ids, frame["row_key"].tolist(), keys


def store(bind: sa.Connection, ids: list[int], keys: list[str]) -> None:
    """Set ``row_key`` of the responses ``ids`` to ``keys``: one statement (an ``unnest`` join on Postgres,
    executemany on SQLite)."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("UPDATE responses AS r SET row_key = v.k FROM unnest(CAST(:ids AS bigint[]), "
                             "CAST(:keys AS text[])) AS v(id, k) WHERE r.id = v.id"), {"ids": ids, "keys": keys})
    else:
        bind.exec_driver_sql("UPDATE responses SET row_key = ? WHERE id = ?", list(zip(keys, ids, strict=True)))
